using Cdc.IntegrationTests.Faults;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;

namespace Cdc.IntegrationTests;

/// <summary>
/// Transactions larger than <c>logical_decoding_work_mem</c>, which PostgreSQL streams while they are in progress, reach
/// JetStream through the real cdc binary once each at commit, and one that rolls back publishes nothing: pgoutput
/// protocol version 3 on PostgreSQL 15 and version 4 (PostgreSQL 16+) on 17, each the newest the server speaks.
/// </summary>
public sealed class StreamedTransactionTests
{
    private const int Rows = 5_000;

    [Theory]
    [InlineData(PostgresVersion.V15, 3)]
    [InlineData(PostgresVersion.V17, 4)]
    public async Task A_streamed_transaction_arrives_once_at_commit_and_a_streamed_rollback_publishes_nothing(PostgresVersion version, int protocol)
    {
        var name = $"streamed_{(int)version}";
        await using var env = await FaultEnvironment.StartAsync(name, "CREATE TABLE big (id int PRIMARY KEY, payload text NOT NULL);",
            new Dictionary<string, string> { ["logical_decoding_work_mem"] = "'64kB'" }, version);
        await using var cdc = env.StartCdc();
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        Assert.Contains($"pgoutput v{protocol}, streaming True", cdc.Output, StringComparison.Ordinal);

        await env.Postgres.ExecuteAsync($"BEGIN; INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(100001, {100_000 + Rows}) g; ROLLBACK", env.Database);
        await env.Postgres.ExecuteAsync($"INSERT INTO big SELECT g, repeat('p', 100) FROM generate_series(1, {Rows}) g", env.Database);
        await env.Postgres.ExecuteAsync("INSERT INTO big VALUES (0, 'after')", env.Database);

        await env.WaitForSlotAsync(await env.CurrentWalLsnAsync(), TimeSpan.FromSeconds(90), () => cdc.Output);
        var changes = await StreamContents.ReadAllAsync(env.Nats.Url, env.Stream);
        StreamAssertions.ExactlyOnceInCommitOrder(changes, env.Slot, Rows + 1);
        await StreamAssertions.ReplayReproducesTablesAsync(changes, env.Connection, new Dictionary<string, string> { ["big"] = "id::text, payload" });

        // Both large transactions went out as streams, not at commit (the server's own count for the slot).
        // The walsender reports these statistics some time after it decoded the transactions.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        long streamed;
        while ((streamed = await StreamedTransactionsAsync(env)) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.True(streamed >= 2, $"PostgreSQL streamed {streamed} transactions of the slot, not both. {cdc.Output}");
    }

    private static Task<long> StreamedTransactionsAsync(FaultEnvironment env)
        => env.Postgres.ScalarAsync<long>($"SELECT coalesce(sum(stream_txns), 0)::bigint FROM pg_stat_replication_slots WHERE slot_name = '{env.Slot}'", env.Database);
}
