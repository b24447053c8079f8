using Cdc.Testing;

namespace Cdc.Decoding.Tests.Integration;

/// <summary>One real PostgreSQL 15 for the live capture tests, with streaming after 64 kB and prepared transactions.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
        => Server = await PostgresServer.StartAsync(new Dictionary<string, string>
        {
            ["logical_decoding_work_mem"] = "'64kB'",
            ["max_prepared_transactions"] = "10",
            // Logical decoding reads only flushed WAL: commit synchronously so a capture sees every transaction.
            ["synchronous_commit"] = "on",
        });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
