using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;
using Npgsql;

namespace Cdc.IntegrationTests;

/// <summary>
/// The spine: committed rows in PostgreSQL reach JetStream through the real cdc binary, once each, in
/// commit order per table, and the slot only advances past what JetStream acknowledged. On PostgreSQL 15 and 17
/// (<see cref="EndToEndTestsOn15"/>, <see cref="EndToEndTestsOn17"/>).
/// </summary>
public abstract class EndToEndTests(PostgresVersion version) : IAsyncLifetime
{
    private const string Schema = """
        CREATE TABLE customers (
            id int PRIMARY KEY, name text NOT NULL, balance numeric(14,4), active boolean,
            created timestamptz, meta jsonb, avatar bytea, uid uuid);
        CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, total numeric, note text);
        """;

    // Each column rendered the way ValueText renders the decoded value.
    private static readonly Dictionary<string, string> Projections = new()
    {
        ["customers"] = "id::text, name, balance::text, active::text, (extract(epoch from created) * 1000000)::bigint::text, meta::text, encode(avatar, 'hex'), uid::text",
        ["orders"] = "id::text, customer_id::text, total::text, note",
    };

    private PostgresServer _pg = null!;
    private NatsServer _nats = null!;
    private string _connection = null!;

    public async Task InitializeAsync()
    {
        _pg = await PostgresServer.StartAsync(version: version);
        _nats = await NatsServer.StartAsync();
        await _pg.CreateDatabaseAsync("shop");
        _connection = _pg.ConnectionString("shop");
        await _pg.ExecuteAsync(Schema, "shop");
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        await _pg.DisposeAsync();
    }

    private CdcProcess StartCdc(string slot = "e2e") => CdcProcess.Start(
    [
        "run", "--connection", _connection, "--nats", _nats.Url, "--slot", slot, "--publication", "e2e_pub",
        "--stream", "SHOP", "--subject-prefix", "cdc", "--shutdown-timeout", "00:00:05",
        // Off: the two versions' classes run at the same time and would both want the default status address.
        "--http", "off",
    ]);

    [Fact]
    public async Task Changes_in_several_tables_arrive_once_in_commit_order_and_replay_to_each_table()
    {
        await using var cdc = StartCdc();
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        var expected = await WriteWorkloadAsync(seed: 1);

        var changes = await StreamContents.WaitForAsync(_nats.Url, "SHOP", expected, TimeSpan.FromSeconds(60));
        // Once each, deterministic ids (slot, end LSN, index), commit order per table, on the table's subject.
        StreamAssertions.ExactlyOnceInCommitOrder(changes, "e2e", expected);
        Assert.All(changes, c => Assert.Equal($"cdc.shop.public.{c.Event.Table}", c.Subject));

        await AssertReplayReproducesTablesAsync(changes);

        cdc.Terminate();
        Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(30)), cdc.Output);
        Assert.Equal(0, cdc.ExitCode);
        Assert.Contains("final confirmed flush LSN", cdc.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slot_never_passes_a_change_NATS_has_not_acknowledged_and_a_restart_delivers_each_change_once()
    {
        var cdc = StartCdc();
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        var firstBatch = await WriteWorkloadAsync(seed: 2);
        await StreamContents.WaitForAsync(_nats.Url, "SHOP", firstBatch, TimeSpan.FromSeconds(60));
        await WaitForSlotAsync(await CurrentWalLsnAsync(), TimeSpan.FromSeconds(30));

        // NATS goes away: changes committed now must not be confirmed to PostgreSQL. cdc may still confirm WAL
        // without changes written before them (the server's own running-transactions records): judge against the WAL
        // position before the second batch, not against the slot's position at the kill.
        await _nats.KillAsync();
        var beforeSecondBatch = await CurrentWalLsnAsync();
        var secondBatch = await WriteWorkloadAsync(seed: 3);
        var afterSecondBatch = await CurrentWalLsnAsync();

        // Judged once cdc has the whole second batch (it says so in a status update), then for a few seconds more:
        // long enough for its confirm and idle loops to act on it.
        await SlotPosition.WaitForReceivedAsync(_pg, "e2e", afterSecondBatch, TimeSpan.FromSeconds(30), "shop", () => cdc.Output);
        var watchUntil = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < watchUntil)
        {
            var confirmed = await ConfirmedFlushLsnAsync();
            var pastSecondBatchStart = await _pg.ScalarAsync<decimal>($"SELECT pg_wal_lsn_diff('{confirmed}', '{beforeSecondBatch}')", "shop");
            Assert.True(pastSecondBatchStart <= 0, $"the slot confirmed {confirmed}, past {beforeSecondBatch} where the unacknowledged second batch begins");
            await Task.Delay(200);
        }

        // The sidecar crashes while changes are unacknowledged; NATS comes back; a new sidecar
        // replays from the slot and JetStream drops what it already has.
        await cdc.KillAsync();
        await cdc.DisposeAsync();
        await _nats.StartExistingAsync();
        await using var restarted = StartCdc();
        var all = await StreamContents.WaitForAsync(_nats.Url, "SHOP", firstBatch + secondBatch, TimeSpan.FromSeconds(90));
        await WaitForSlotAsync(await CurrentWalLsnAsync(), TimeSpan.FromSeconds(30));
        all = await StreamContents.ReadAllAsync(_nats.Url, "SHOP");

        StreamAssertions.ExactlyOnceInCommitOrder(all, "e2e", firstBatch + secondBatch);
        await AssertReplayReproducesTablesAsync(all);
    }

    /// <summary>Random inserts, updates and deletes over both tables in several transactions; returns the change count.</summary>
    private async Task<int> WriteWorkloadAsync(int seed)
    {
        var random = new Random(seed);
        var changes = 0;
        await using var conn = new NpgsqlConnection(_connection);
        await conn.OpenAsync();
        for (var t = 0; t < 20; t++)
        {
            await using var tx = await conn.BeginTransactionAsync();
            var statements = random.Next(1, 8);
            for (var s = 0; s < statements; s++)
            {
                var id = (seed * 1000) + random.Next(0, 40);
                string sql = random.Next(4) switch
                {
                    0 or 1 => $$"""
                        INSERT INTO customers VALUES ({{id}}, 'name {{id}} ''q''', {{random.Next(-100000, 100000)}}.{{random.Next(0, 9999):D4}},
                          {{(random.Next(2) == 0 ? "true" : "NULL")}}, now() - interval '{{random.Next(1000)}} minutes',
                          '{"k": {{random.Next(100)}}, "s": "x\"y"}', '\x{{random.Next():x8}}', gen_random_uuid())
                        ON CONFLICT (id) DO NOTHING
                        """,
                    2 => $"UPDATE customers SET balance = balance + 1.5, name = name || '!' WHERE id = {id}",
                    _ => $"DELETE FROM customers WHERE id = {id}",
                };
                await using (var cmd = new NpgsqlCommand(sql, conn, tx))
                {
                    changes += await cmd.ExecuteNonQueryAsync();
                }

                await using (var cmd = new NpgsqlCommand(
                    $"INSERT INTO orders (customer_id, total, note) VALUES ({id}, {random.Next(1, 1000)}.99, {(random.Next(3) == 0 ? "NULL" : "'note'")})", conn, tx))
                {
                    changes += await cmd.ExecuteNonQueryAsync();
                }
            }

            if (random.Next(5) == 0)
            {
                await using var cmd = new NpgsqlCommand("UPDATE orders SET note = 'bulk' WHERE id % 7 = 0", conn, tx);
                changes += await cmd.ExecuteNonQueryAsync();
            }

            await tx.CommitAsync();
        }

        return changes;
    }

    private Task AssertReplayReproducesTablesAsync(IReadOnlyList<StoredChange> changes)
        => StreamAssertions.ReplayReproducesTablesAsync(changes, _connection, Projections);

    private Task<string> CurrentWalLsnAsync() => SlotPosition.CurrentWalLsnAsync(_pg, "shop");

    private Task<string?> ConfirmedFlushLsnAsync() => SlotPosition.ConfirmedFlushLsnAsync(_pg, "e2e", "shop");

    private Task WaitForSlotAsync(string lsn, TimeSpan timeout) => SlotPosition.WaitForConfirmedAsync(_pg, "e2e", lsn, timeout, "shop");
}
