using Xunit.Abstractions;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// The stream emptied or removed by an operator while Cdc runs. A purge removes the message whose id the next publish
/// names as its predecessor (Nats-Expected-Last-Msg-Id); every change committed after the purge still arrives once and
/// in commit order, also when the purge falls into a PostgreSQL reconnect (whose resume reads where the stream stands).
/// A deleted stream stops Cdc with one line naming the deletion, the slot not past the undelivered change, and a
/// restart delivers it.
/// </summary>
public sealed class StreamRemovedTests(ITestOutputHelper output)
{
    private const int PurgedRows = 10 * HeldRun.RowsPerTransaction;

    [Fact]
    public Task A_stream_purged_while_cdc_runs_gets_every_change_committed_after_the_purge_once_in_order()
        => AssertPurgeKeepsWhatFollowsAsync("purged", duringReconnect: false);

    [Fact]
    public Task A_stream_purged_during_a_PostgreSQL_reconnect_gets_every_change_committed_after_the_purge_once_in_order()
        => AssertPurgeKeepsWhatFollowsAsync("purgedreconnect", duringReconnect: true);

    /// <summary>
    /// Ten transactions delivered, the stream purged (during a PostgreSQL reconnect if <paramref name="duringReconnect"/>),
    /// the rest committed: the stream holds exactly what came after the purge, once each and in order, and cdc runs on.
    /// </summary>
    private async Task AssertPurgeKeepsWhatFollowsAsync(string slot, bool duringReconnect)
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await using var run = await HeldRun.StartAsync(pg, nats.Url, slot);

        await run.CommitAsync(0, 10);
        await run.WaitForConfirmedAsync();
        if (duringReconnect)
        {
            // The replication connection drops; while Cdc reconnects (and reads where the stream stands) the stream is purged.
            await pg.ExecuteAsync($"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '{run.Slot}'", run.Slot);
            await PurgeAsync(nats.Url, run.Stream);
            await Eventually.UntilAsync(
                () => run.Cdc.Output.Split("Replicating slot").Length > 2, TimeSpan.FromSeconds(60), "cdc to reconnect", diagnostics: () => run.Cdc.Output);
        }
        else
        {
            await PurgeAsync(nats.Url, run.Stream);
        }

        await run.CommitAsync(10, HeldRun.Transactions);
        await run.AssertStreamHoldsOnceInOrderAsync(PurgedRows + 1);
        Assert.False(run.Cdc.HasExited, run.Cdc.Output);
        output.WriteLine(run.Cdc.Output);
    }

    [Fact]
    public async Task A_stream_deleted_while_cdc_runs_stops_cdc_with_one_line_naming_the_deletion_and_a_restart_delivers_what_was_held()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await using var run = await HeldRun.StartAsync(pg, nats.Url, "deleted", "--set", "Cdc:Nats:RefusalRetryTime=00:00:05");

        await run.CommitAsync(0, 10);
        await run.WaitForConfirmedAsync();
        await using (var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Url }))
        {
            await new NatsJSContext(connection).DeleteStreamAsync(run.Stream);
        }

        await run.CommitAsync(10, HeldRun.Transactions);
        var walEnd = await SlotPosition.CurrentWalLsnAsync(pg, run.Slot);
        Assert.True(await run.Cdc.WaitForExitAsync(TimeSpan.FromSeconds(120)), "cdc still running:\n" + run.Cdc.Output);
        Assert.NotEqual(0, run.Cdc.ExitCode);
        var line = Assert.Single(run.Cdc.Output.Split('\n', StringSplitOptions.TrimEntries), l => l.StartsWith("cdc: ", StringComparison.Ordinal));
        Assert.Contains("the stream was deleted", line, StringComparison.Ordinal);
        Assert.True(
            await pg.ScalarAsync<bool>($"SELECT confirmed_flush_lsn < '{walEnd}'::pg_lsn FROM pg_replication_slots WHERE slot_name = '{run.Slot}'", run.Slot),
            "the slot advanced past changes the deleted stream never stored");

        // The operator starts cdc again: it creates the stream and delivers what was committed after the deletion.
        await run.RestartAsync();
        await run.AssertStreamHoldsOnceInOrderAsync(PurgedRows + 1);
    }

    private static async Task PurgeAsync(string natsUrl, string stream)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = natsUrl });
        var response = await new NatsJSContext(connection).PurgeStreamAsync(stream, new StreamPurgeRequest());
        Assert.True(response.Success, "purge refused");
    }
}
