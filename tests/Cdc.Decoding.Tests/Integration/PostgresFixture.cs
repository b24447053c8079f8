using Cdc.Testing;

namespace Cdc.Decoding.Tests.Integration;

/// <summary>One real PostgreSQL 15 for the live capture tests, with streaming after 64 kB and prepared transactions.</summary>
public class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    protected virtual PostgresVersion Version => PostgresVersion.V15;

    public async Task InitializeAsync()
        => Server = await PostgresServer.StartAsync(version: Version, settings: new Dictionary<string, string>
        {
            ["logical_decoding_work_mem"] = "'64kB'",
            ["max_prepared_transactions"] = "10",
            // Logical decoding reads only flushed WAL: commit synchronously so a capture sees every transaction.
            ["synchronous_commit"] = "on",
        });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The same on PostgreSQL 17: pgoutput protocol version 4 and <c>streaming = parallel</c> (PostgreSQL 16+).</summary>
public sealed class Postgres17Fixture : PostgresFixture
{
    protected override PostgresVersion Version => PostgresVersion.V17;
}
