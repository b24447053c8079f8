using Cdc.IntegrationTests.Support;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// A sink that fails for good ends Cdc with the reason: while a reconnect waits for it instead of draining forever, and in
/// dedupe mode on an idle database, where no new change would meet the failure, instead of idling forever.
/// </summary>
public sealed class SinkFailureTests
{
    [Fact]
    public async Task A_stream_lost_while_a_PostgreSQL_reconnect_drains_stops_cdc_with_the_reason()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await pg.CreateDatabaseAsync("drain");
        await pg.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY);", "drain");
        await using var cdc = CdcProcess.Start(
        [
            "run", "--connection", pg.ConnectionString("drain"), "--nats", nats.Url, "--slot", "drain", "--publication", "drain_pub",
            "--stream", "DRAIN", "--snapshot", "never", "--http", "off",
        ], new Dictionary<string, string> { ["Cdc__Heartbeat__Interval"] = "00:00:00" }); // no new change: only the drain can see the failure
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        // A change in flight while NATS is down, then the replication connection drops: once the sink takes the change
        // back, the reconnect first waits for its acknowledgement (draining).
        await nats.KillAsync();
        await pg.ExecuteAsync("INSERT INTO t VALUES (1);", "drain");
        await SlotPosition.WaitForReceivedAsync(pg, "drain", await SlotPosition.CurrentWalLsnAsync(pg, "drain"), TimeSpan.FromSeconds(30), "drain", () => cdc.Output);
        await pg.ExecuteAsync("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'drain'", "drain");
        await Task.Delay(TimeSpan.FromSeconds(2));

        // NATS comes back without the stream (its files are gone): the change can never be stored.
        foreach (var directory in Directory.GetDirectories(nats.StoreDirectory, "DRAIN", SearchOption.AllDirectories))
        {
            Directory.Delete(directory, recursive: true);
        }

        await nats.StartExistingAsync();
        Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(120)), "cdc still running:\n" + cdc.Output);
        Assert.NotEqual(0, cdc.ExitCode);
        var line = Assert.Single(cdc.Output.Split('\n', StringSplitOptions.TrimEntries), l => l.StartsWith("cdc: ", StringComparison.Ordinal));
        Assert.True(line.StartsWith("cdc: the sink refused change drain:", StringComparison.Ordinal) && line.Contains("on cdc.drain.public.t", StringComparison.Ordinal), line);
    }

    [Fact]
    public async Task In_dedupe_mode_a_change_refused_on_an_idle_database_stops_cdc_with_the_reason()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await pg.CreateDatabaseAsync("idle");
        await pg.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY);", "idle");
        await using var cdc = CdcProcess.Start(
        [
            "run", "--connection", pg.ConnectionString("idle"), "--nats", nats.Url, "--slot", "idle", "--publication", "idle_pub",
            "--stream", "IDLE", "--snapshot", "never", "--http", "off", "--dedupe", "true",
        ], new Dictionary<string, string> { ["Cdc__Heartbeat__Interval"] = "00:00:00" }); // nothing new through the slot
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        // One change taken by the dedupe sender while NATS is down; then the database stays idle.
        await nats.KillAsync();
        var inserted = await pg.ScalarAsync<string>("INSERT INTO t VALUES (1) RETURNING pg_current_wal_insert_lsn()::text", "idle"); // before its commit
        await SlotPosition.WaitForReceivedAsync(pg, "idle", await SlotPosition.CurrentWalLsnAsync(pg, "idle"), TimeSpan.FromSeconds(30), "idle", () => cdc.Output);

        // NATS comes back without the stream: the sender's change can never be stored, and no later change will come.
        foreach (var directory in Directory.GetDirectories(nats.StoreDirectory, "IDLE", SearchOption.AllDirectories))
        {
            Directory.Delete(directory, recursive: true);
        }

        await nats.StartExistingAsync();
        Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(120)), "cdc still running:\n" + cdc.Output);
        Assert.NotEqual(0, cdc.ExitCode);
        var line = Assert.Single(cdc.Output.Split('\n', StringSplitOptions.TrimEntries), l => l.StartsWith("cdc: ", StringComparison.Ordinal));
        Assert.True(line.StartsWith("cdc: the sink refused change idle:", StringComparison.Ordinal) && line.Contains("on cdc.idle.public.t", StringComparison.Ordinal), line);

        // Nothing was lost: the slot never passed the refused change.
        Assert.True(
            await pg.ScalarAsync<bool>($"SELECT confirmed_flush_lsn <= '{inserted}'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'idle'", "idle"),
            "the slot advanced past the refused change");
    }
}
