using System.Diagnostics;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests;

/// <summary>
/// The operator's first start on a real database: the publication Cdc creates never makes an application statement
/// fail, and a start that cannot work leaves nothing behind in PostgreSQL.
/// </summary>
public sealed class FirstStartTests
{
    /// <summary>Longer than the first start's wait for NATS (15 s).</summary>
    private static readonly TimeSpan ListenerWait = TimeSpan.FromSeconds(20);

    private const string Tables = """
        CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL);
        CREATE TABLE audit_log (at timestamptz NOT NULL DEFAULT now(), note text);
        CREATE TABLE events (id int NOT NULL, kind text);
        ALTER TABLE events REPLICA IDENTITY FULL;
        INSERT INTO audit_log (note) VALUES ('before cdc');
        """;

    [Fact]
    public async Task After_cdc_creates_its_publication_the_application_can_still_update_and_delete_rows_of_a_keyless_table()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await pg.ExecuteAsync(Tables);
        await using var cdc = CdcProcess.Start(["run", "--connection", pg.ConnectionString(), "--nats", nats.Url, "--http", "off", "--stream", "FIRST"]);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        // The application's statements: each would fail under FOR ALL TABLES ("does not have a replica identity").
        await pg.ExecuteAsync("UPDATE audit_log SET note = 'edited'; DELETE FROM audit_log;");
        await pg.ExecuteAsync("""
            INSERT INTO audit_log (note) VALUES ('after cdc');
            INSERT INTO orders VALUES (1, 'new');
            UPDATE orders SET status = 'paid' WHERE id = 1;
            INSERT INTO events VALUES (7, 'click');
            UPDATE events SET kind = 'tap' WHERE id = 7;
            """);

        // Keyed tables (primary key, or REPLICA IDENTITY FULL) keep every operation; the keyless one its inserts.
        var stored = await StreamContents.WaitForAsync(nats.Url, "FIRST", 5, TimeSpan.FromSeconds(30));
        Assert.Equal(
            ["audit_log INSERT", "orders INSERT", "orders UPDATE", "events INSERT", "events UPDATE"],
            stored.Select(c => $"{c.Event.Table} {c.Event.Operation.ToString().ToUpperInvariant()}"));
        Assert.Equal(
            [("cdc", "orders", true), ("cdc", "events", true), ("cdc_inserts", "audit_log", false)],
            await PublishedAsync(pg));
        Assert.Contains("Table public.audit_log has no primary key or replica identity: Cdc put it in publication cdc_inserts, which publishes inserts and truncates only", cdc.Output, StringComparison.Ordinal);
        Assert.False(await pg.ScalarAsync<bool>("SELECT bool_or(puballtables) FROM pg_publication"));

        // A table created later is in neither publication: the next start says so, and how to add it.
        cdc.Terminate();
        Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(30)), cdc.Output);
        await pg.ExecuteAsync("CREATE TABLE later (id int PRIMARY KEY);");
        await using var restarted = CdcProcess.Start(["run", "--connection", pg.ConnectionString(), "--nats", nats.Url, "--http", "off", "--stream", "FIRST"]);
        await restarted.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        Assert.Contains(
            "Table public.later is in none of the publications Cdc created (it was created later): its changes are not captured. To capture them: ALTER PUBLICATION cdc ADD TABLE \"public\".\"later\";",
            restarted.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Table public.orders is in none", restarted.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_first_start_with_a_wrong_NATS_address_fails_fast_in_one_line_and_creates_nothing()
    {
        await using var pg = await PostgresServer.StartAsync();
        await pg.ExecuteAsync(Tables);
        var clock = Stopwatch.StartNew();

        var (exitCode, output) = await CdcProcess.RunAsync(
            ["run", "--connection", pg.ConnectionString(), "--nats", "nats://127.0.0.1:1", "--http", "off"],
            TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(40), $"took {clock.Elapsed}");
        var line = Assert.Single(output.Split('\n', StringSplitOptions.TrimEntries), l => l.StartsWith("cdc: ", StringComparison.Ordinal));
        Assert.Contains("nats://127.0.0.1:1", line, StringComparison.Ordinal);
        Assert.Contains("before creating the slot or the publication", line, StringComparison.Ordinal);
        Assert.Equal(0L, await pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots"));
        Assert.Equal(0L, await pg.ScalarAsync<long>("SELECT count(*) FROM pg_publication"));
    }

    [Fact]
    public async Task Once_the_slot_exists_a_start_waits_for_NATS_instead_of_failing()
    {
        await using var pg = await PostgresServer.StartAsync();
        await pg.ExecuteAsync(Tables);
        await pg.ExecuteAsync("SELECT pg_create_logical_replication_slot('cdc', 'pgoutput')");

        await using var cdc = CdcProcess.Start(["run", "--connection", pg.ConnectionString(), "--nats", "nats://127.0.0.1:1", "--http", "off"]);
        await Task.Delay(ListenerWait);

        Assert.False(cdc.HasExited, cdc.Output);
        Assert.Contains("retrying in", cdc.Output, StringComparison.Ordinal);
    }

    private static async Task<List<(string Publication, string Table, bool PublishesUpdates)>> PublishedAsync(PostgresServer pg)
    {
        await using var connection = new NpgsqlConnection(pg.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT p.pubname, t.tablename, p.pubupdate FROM pg_publication_tables t JOIN pg_publication p USING (pubname) ORDER BY 1, 2 DESC", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<(string, string, bool)>();
        while (await reader.ReadAsync())
        {
            result.Add((reader.GetString(0), reader.GetString(1), reader.GetBoolean(2)));
        }

        return result;
    }
}
