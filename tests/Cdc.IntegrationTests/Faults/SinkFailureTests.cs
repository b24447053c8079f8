using Cdc.IntegrationTests.Support;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Faults;

/// <summary>A sink that fails for good while a reconnect waits for it ends Cdc with the reason instead of draining forever.</summary>
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
}
