using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;

namespace Cdc.IntegrationTests.Snapshot;

public sealed class InitialSnapshotTestsOn15() : InitialSnapshotTests(PostgresVersion.V15);

public sealed class InitialSnapshotTestsOn17() : InitialSnapshotTests(PostgresVersion.V17);

/// <summary>
/// Cdc:Snapshot against real servers: the rows already in the tables reach the stream as read events before the
/// changes, under a concurrent writer, once per snapshot and never older than what follows; a snapshot cut short by
/// SIGKILL is taken again.
/// </summary>
public abstract class InitialSnapshotTests(PostgresVersion version) : ItemsServers(version, "snap")
{
    private CdcProcess StartCdc(string slot, string mode, params string[] extra) => CdcProcess.Start(
    [
        "run", "--connection", Connection, "--nats", Nats.Url, "--slot", slot, "--publication", slot + "_pub",
        "--stream", "SNAP", "--subject-prefix", "cdc", "--shutdown-timeout", "00:00:05", "--http", "off", "--snapshot", mode, .. extra,
    ]);

    [Fact]
    public async Task Initial_snapshot_under_a_writer_replays_to_the_tables_and_no_row_goes_back()
    {
        await FillAsync(items: 60_000, nokey: 2_000);
        using var stopWriter = new CancellationTokenSource();
        var writer = new SnapshotWriter(Connection, firstNewId: 1_000_000, existing: 60_000);
        var writing = writer.RunAsync(stopWriter.Token);
        await using var cdc = StartCdc("snapinit", "initial");
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(180));
            await Task.Delay(1500);
        }
        finally
        {
            await stopWriter.CancelAsync();
            await writing;
        }

        var (changes, markers) = await SettledStreamAsync("snapinit", cdc);
        Assert.Equal(2, markers.Count);
        var consistentPoint = markers[0].Marker.ConsistentLsn;
        Assert.All(markers, m => Assert.Equal(consistentPoint, m.Marker.ConsistentLsn));
        var reads = changes.Where(c => c.Event.Operation == Operation.Read).ToList();
        Assert.All(reads, r => Assert.Equal(consistentPoint, r.Event.EndLsn));
        Assert.All(changes.Where(c => c.Event.Operation != Operation.Read), c => Assert.True(c.Event.EndLsn > consistentPoint, c.MessageId));
        foreach (var (_, marker) in markers)
        {
            var tableReads = reads.Where(r => r.Event.Table == marker.Table).ToList();
            Assert.Equal((int)marker.RowCount, tableReads.Count);
            Assert.Equal(Enumerable.Range(0, tableReads.Count).Select(i => (uint)i), tableReads.Select(r => r.Event.Index));
            Assert.True(marker.FinishedUs >= marker.StartedUs);
        }

        Assert.Equal(changes.Count, changes.Select(c => c.MessageId).Distinct().Count());
        Assert.True(writer.Committed > 0, "the writer committed nothing");

        var replay = new SnapshotReplay("nokey");
        replay.Apply(changes, markers);
        Assert.True(replay.StreamedEvents > 0, "nothing was streamed after the snapshot");
        await replay.AssertEqualsAsync(Connection, "items", ItemsProjection);
        await replay.AssertEqualsAsync(Connection, "nokey", NokeyProjection);
    }

    [Fact]
    public async Task Never_publishes_no_read_events_and_no_markers()
    {
        await FillAsync(items: 500, nokey: 50);
        await using var cdc = StartCdc("snapnever", "never");
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(120));
        await Pg.ExecuteAsync("INSERT INTO items VALUES (-1, nextval('ver'), 'after')", Database);

        var changes = await StreamContents.WaitForAsync(Nats.Url, "SNAP", 1, TimeSpan.FromSeconds(60));
        await Task.Delay(1000);
        changes = await StreamContents.ReadAllAsync(Nats.Url, "SNAP");
        var single = Assert.Single(changes);
        Assert.Equal(Operation.Insert, single.Event.Operation);
        Assert.Empty(await StreamContents.ReadMarkersAsync(Nats.Url, "SNAP"));
    }

    [Fact]
    public async Task Initial_only_publishes_every_row_and_its_markers_then_exits_0_without_a_slot()
    {
        await FillAsync(items: 5_000, nokey: 300);
        await using var cdc = StartCdc("snaponly", "initial_only");
        Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(180)), cdc.Output);
        Assert.True(cdc.ExitCode == 0, cdc.Output);

        var changes = await StreamContents.ReadAllAsync(Nats.Url, "SNAP");
        var markers = await StreamContents.ReadMarkersAsync(Nats.Url, "SNAP");
        Assert.All(changes, c => Assert.Equal(Operation.Read, c.Event.Operation));
        Assert.Equal(5_300, changes.Count);
        Assert.Equal([("items", 5_000UL), ("nokey", 300UL)], markers.Select(m => (m.Marker.Table, m.Marker.RowCount)).Order().ToArray());
        Assert.Equal(0L, await Pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'snaponly%'", Database));

        var replay = new SnapshotReplay("nokey");
        replay.Apply(changes, markers);
        await replay.AssertEqualsAsync(Connection, "items", ItemsProjection);
        await replay.AssertEqualsAsync(Connection, "nokey", NokeyProjection);
    }

    [Fact]
    public async Task A_snapshot_killed_midway_is_taken_again_and_the_replay_has_every_row()
    {
        await FillAsync(items: 100_000, nokey: 1_000);
        using var stopWriter = new CancellationTokenSource();
        var writer = new SnapshotWriter(Connection, firstNewId: 1_000_000, existing: 100_000);
        var writing = writer.RunAsync(stopWriter.Token);
        try
        {
            var first = StartCdc("snapkill", "initial", "--max-in-flight-bytes", "1048576");
            await first.WaitForOutputAsync("Initial snapshot: temporary slot", TimeSpan.FromSeconds(120));
            await Task.Delay(700);
            await first.KillAsync();
            Assert.DoesNotContain("Initial snapshot acknowledged", first.Output, StringComparison.Ordinal);
            await first.DisposeAsync();

            // Killed mid-snapshot: the temporary slot went with the connection and the permanent one was never made.
            var slots = 1L;
            for (var i = 0; i < 50 && slots > 0; i++)
            {
                slots = await Pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'snapkill%'", Database);
                await Task.Delay(100);
            }

            Assert.Equal(0L, slots);

            await using var second = StartCdc("snapkill", "initial");
            await second.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(240));
            await Task.Delay(1500);
            await stopWriter.CancelAsync();
            await writing;

            var (changes, markers) = await SettledStreamAsync("snapkill", second);
            var consistentPoint = Assert.Single(markers.Select(m => m.Marker.ConsistentLsn).Distinct());
            var items = markers.Single(m => m.Marker.Table == "items").Marker;
            Assert.Equal((int)items.RowCount, changes.Count(c => c.Event.Operation == Operation.Read && c.Event.Table == "items" && c.Event.EndLsn == consistentPoint));
            Assert.True(items.RowCount >= 90_000, $"items snapshot has {items.RowCount} rows");
            Assert.Contains(changes, c => c.Event.Operation == Operation.Read && c.Event.EndLsn != consistentPoint);

            // The cut-short attempt's rows come first; the complete snapshot's marker drops what it did not see.
            var replay = new SnapshotReplay("nokey");
            replay.Apply(changes, markers);
            await replay.AssertEqualsAsync(Connection, "items", ItemsProjection);
            await replay.AssertEqualsAsync(Connection, "nokey", NokeyProjection);
        }
        finally
        {
            await stopWriter.CancelAsync();
            await writing;
        }
    }

    /// <summary>Waits until the slot confirmed the WAL written so far, then reads the whole stream.</summary>
    private async Task<(IReadOnlyList<StoredChange> Changes, IReadOnlyList<(ulong Sequence, SnapshotEvent Marker)> Markers)> SettledStreamAsync(string slot, CdcProcess cdc)
    {
        var lsn = await SlotPosition.CurrentWalLsnAsync(Pg, Database);
        await SlotPosition.WaitForConfirmedAsync(Pg, slot, lsn, TimeSpan.FromSeconds(120), Database, () => cdc.Output);
        return (await StreamContents.ReadAllAsync(Nats.Url, "SNAP"), await StreamContents.ReadMarkersAsync(Nats.Url, "SNAP"));
    }
}
