using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.IntegrationTests.Resume;

/// <summary>
/// Exactly once across restarts without JetStream's duplicate window: on start Cdc reads from the stream where it
/// stands for its slot, skips what the stream holds, and refuses to start a new slot over a gap unless told to.
/// </summary>
public sealed class StreamResumeTests : IAsyncLifetime
{
    private const string Database = "resume";
    private const string Stream = "RESUME";

    private PostgresServer _pg = null!;
    private NatsServer _nats = null!;

    public async Task InitializeAsync()
    {
        _pg = await PostgresServer.StartAsync();
        _nats = await NatsServer.StartAsync();
        await _pg.CreateDatabaseAsync(Database);
        await _pg.ExecuteAsync("CREATE TABLE items (id int PRIMARY KEY, note text);", Database);
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        await _pg.DisposeAsync();
    }

    /// <summary>The arguments of <c>cdc run</c> for <paramref name="slot"/> on <paramref name="source"/> (this test's server by default).</summary>
    private string[] RunArguments(string slot, PostgresServer? source = null) =>
    [
        "run", "--connection", (source ?? _pg).ConnectionString(Database), "--nats", _nats.Url, "--slot", slot, "--publication", "resume_pub",
        "--stream", Stream, "--subject-prefix", "cdc", "--snapshot", "never", "--shutdown-timeout", "00:00:05", "--http", "off",
    ];

    private CdcProcess StartCdc(string slot, IDictionary<string, string>? environment = null, PostgresServer? source = null) => CdcProcess.Start(
        RunArguments(slot, source),
        new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            // A window far shorter than the outages below: exactly once must not depend on it.
            ["Cdc__Nats__DuplicateWindow"] = "00:00:01",
        });

    /// <summary>Streams rows 1 to <paramref name="count"/> (a transaction each) through a cdc on <paramref name="slot"/>, then stops it.</summary>
    private async Task<IReadOnlyList<StoredChange>> StreamRowsAsync(string slot, int count)
    {
        var cdc = StartCdc(slot);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await InsertAsync(1, count);
        var stored = await StreamContents.WaitForAsync(_nats.Url, Stream, count, TimeSpan.FromSeconds(60));
        await StopAsync(cdc);
        return stored;
    }

    /// <summary>Another PostgreSQL cluster with the same database and table: the same names, another system.</summary>
    private static async Task<PostgresServer> StartOtherClusterAsync()
    {
        var other = await PostgresServer.StartAsync();
        await other.CreateDatabaseAsync(Database);
        await other.ExecuteAsync("CREATE TABLE items (id int PRIMARY KEY, note text);", Database);
        return other;
    }

    /// <summary>Inserts <paramref name="count"/> rows, one transaction each, from <paramref name="firstId"/>.</summary>
    private async Task InsertAsync(int firstId, int count)
    {
        for (var id = firstId; id < firstId + count; id++)
        {
            await _pg.ExecuteAsync($"INSERT INTO items VALUES ({id}, 'row {id}')", Database);
        }
    }

    private async Task StopAsync(CdcProcess cdc)
    {
        cdc.Terminate();
        Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(30)), cdc.Output);
        await cdc.DisposeAsync();
    }

    [Fact]
    public async Task A_replay_older_than_the_duplicate_window_adds_no_duplicate_to_the_stream()
    {
        // The slot as it was before Cdc delivered anything, kept aside: put back later, the server replays everything.
        await _pg.ExecuteAsync("SELECT pg_create_logical_replication_slot('replay', 'pgoutput'); SELECT pg_copy_logical_replication_slot('replay', 'replay_before');", Database);
        var cdc = StartCdc("replay");
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await InsertAsync(1, 20);
        await StreamContents.WaitForAsync(_nats.Url, Stream, 20, TimeSpan.FromSeconds(60));
        await StopAsync(cdc);

        // The slot goes back to before the 20 transactions (as after a server crash before its checkpoint), and the
        // duplicate window passes: only Cdc itself can tell that the stream holds them.
        await _pg.ExecuteAsync("SELECT pg_drop_replication_slot('replay'); SELECT pg_copy_logical_replication_slot('replay_before', 'replay');", Database);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await using var restarted = StartCdc("replay");
        await restarted.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await InsertAsync(21, 5);
        await SlotPosition.WaitForConfirmedAsync(_pg, "replay", await SlotPosition.CurrentWalLsnAsync(_pg, Database), TimeSpan.FromSeconds(30), Database, () => restarted.Output);

        var stored = await StreamContents.ReadAllAsync(_nats.Url, Stream);
        StreamAssertions.ExactlyOnceInCommitOrder(stored, "replay", 25);
        Assert.Contains("Stream holds slot replay through", restarted.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_slot_drop_a_restart_is_refused_and_when_allowed_publishes_a_gap_event_with_its_LSN_range()
    {
        var before = await StreamRowsAsync("dropped", 3);

        // The slot is lost; what is committed now is never captured.
        await _pg.ExecuteAsync("SELECT pg_drop_replication_slot('dropped')", Database);
        await InsertAsync(4, 2);

        var (exitCode, output) = await CdcProcess.RunAsync(
        [
            "run", "--connection", _pg.ConnectionString(Database), "--nats", _nats.Url, "--slot", "dropped", "--publication", "resume_pub",
            "--stream", Stream, "--subject-prefix", "cdc", "--snapshot", "never", "--http", "off",
        ], TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.TrimEntries), l => l.StartsWith("cdc: ", StringComparison.Ordinal));
        Assert.Contains("slot 'dropped' does not exist, but stream 'RESUME' holds changes", line, StringComparison.Ordinal);
        Assert.Contains("Cdc:AllowSlotGap", line, StringComparison.Ordinal);
        Assert.Equal(0L, await _pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dropped'", Database));

        // Allowed: a new slot, a gap event from the last stored transaction to where the new slot starts, then changes.
        await using var allowed = StartCdc("dropped", new Dictionary<string, string> { ["Cdc__AllowSlotGap"] = "true" });
        await allowed.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await InsertAsync(6, 2);
        await StreamContents.WaitForAsync(_nats.Url, Stream, 6, TimeSpan.FromSeconds(60));
        var after = (await StreamContents.ReadAllAsync(_nats.Url, Stream)).Where(c => !c.Subject.EndsWith("._gap", StringComparison.Ordinal)).ToList();
        Assert.Equal(["1", "2", "3", "6", "7"], after.Select(c => ValueText.Render(c.Event.NewRow[0].Value)));

        var gaps = await ReadGapsAsync();
        var gap = Assert.Single(gaps);
        var slotStart = Lsn(await _pg.ScalarAsync<string>("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'dropped'", Database) ?? "0/0");
        Assert.Equal("dropped", gap.Slot);
        Assert.Equal(before[^1].Event.EndLsn, gap.FromLsn);
        Assert.True(gap.ToLsn > gap.FromLsn && gap.ToLsn <= slotStart, $"gap to {gap.ToLsn:X} (slot at {slotStart:X})");
        Assert.True(after[3].Event.EndLsn > gap.ToLsn, "changes after the gap end after it");
        Assert.Contains("created anew at", allowed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restart_against_another_cluster_is_refused_naming_the_setting_and_when_allowed_streams_from_it()
    {
        await StreamRowsAsync("origin", 3);

        // Every message says which cluster it came from.
        var system = await _pg.ScalarAsync<string>("SELECT system_identifier::text FROM pg_control_system()");
        var stored = await StreamContentsReader.ReadAllAsync(_nats.Url, Stream, 10);
        Assert.True(stored.Count >= 3, $"{stored.Count} messages");
        Assert.All(stored, m => Assert.Equal(system, m.Header("Cdc-System-Id")));

        // Another cluster with the same database, table and (once created) slot name: its positions mean nothing here.
        await using var other = await StartOtherClusterAsync();
        var otherSystem = await other.ScalarAsync<string>("SELECT system_identifier::text FROM pg_control_system()");
        Assert.NotEqual(system, otherSystem);
        var (exitCode, output) = await CdcProcess.RunAsync(RunArguments("origin", other), TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.TrimEntries), l => l.StartsWith("cdc: ", StringComparison.Ordinal));
        Assert.Contains($"from PostgreSQL system {system}", line, StringComparison.Ordinal);
        Assert.Contains($"reaches system {otherSystem}", line, StringComparison.Ordinal);
        Assert.Contains("Cdc:AllowSystemChange", line, StringComparison.Ordinal);
        Assert.Equal(0L, await other.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'origin'", Database));

        // Allowed: a slot of its own on the other cluster, its changes after the first cluster's, carrying its identifier.
        await using var allowed = StartCdc("origin", new Dictionary<string, string> { ["Cdc__AllowSystemChange"] = "true" }, other);
        await allowed.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await other.ExecuteAsync("INSERT INTO items VALUES (10, 'on the other cluster')", Database);
        var after = await StreamContents.WaitForAsync(_nats.Url, Stream, 4, TimeSpan.FromSeconds(60));
        Assert.Equal(["1", "2", "3", "10"], after.Select(c => ValueText.Render(c.Event.NewRow[0].Value)));
        var newest = await StreamContentsReader.ReadAllAsync(_nats.Url, Stream, 10);
        Assert.Equal(otherSystem, newest[^1].Header("Cdc-System-Id"));
        Assert.Contains("Cdc:AllowSystemChange", allowed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_written_before_the_system_id_existed_is_adopted_with_one_info_line_and_continued()
    {
        await StreamRowsAsync("unmarked", 3);

        // The stream as an older Cdc left it: the same messages, without the Cdc-System-Id header (copied into the
        // stream created again, so no duplicate window remembers their ids).
        var stored = await StreamContentsReader.ReadAllAsync(_nats.Url, Stream, 10);
        await using (var connection = new NatsConnection(NatsOpts.Default with { Url = _nats.Url }))
        {
            var js = new NatsJSContext(connection);
            var config = (await js.GetStreamAsync(Stream)).Info.Config;
            await js.DeleteStreamAsync(Stream);
            await js.CreateStreamAsync(config);
            foreach (var message in stored)
            {
                var headers = new NatsHeaders();
                foreach (var (name, value) in message.Headers.Where(h => h.Key != "Cdc-System-Id"))
                {
                    headers[name] = value;
                }

                (await js.PublishAsync(message.Subject, message.Data, headers: headers)).EnsureSuccess();
            }
        }

        Assert.All(await StreamContentsReader.ReadAllAsync(_nats.Url, Stream, 10), m => Assert.Null(m.Header("Cdc-System-Id")));

        // The start says once that it takes this server as the stream's source, skips nothing it should not, and goes on.
        var cdc = StartCdc("unmarked");
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await InsertAsync(4, 1);
        var after = await StreamContents.WaitForAsync(_nats.Url, Stream, 4, TimeSpan.FromSeconds(60));
        Assert.Equal(["1", "2", "3", "4"], after.Select(c => ValueText.Render(c.Event.NewRow[0].Value)));
        var system = await _pg.ScalarAsync<string>("SELECT system_identifier::text FROM pg_control_system()");
        var adopted = Assert.Single(cdc.Output.Split('\n'), l => l.Contains("carries no Cdc-System-Id", StringComparison.Ordinal));
        Assert.Contains($"from PostgreSQL system {system}", adopted, StringComparison.Ordinal);
        var newest = await StreamContentsReader.ReadAllAsync(_nats.Url, Stream, 10);
        Assert.Equal(system, newest[^1].Header("Cdc-System-Id"));
        await StopAsync(cdc);
    }

    /// <summary>
    /// After a start allowed by Cdc:AllowSystemChange, a PostgreSQL reconnect before anything of the new cluster is
    /// stored reads the stream again: its newest message is still the old cluster's, at an LSN far ahead of the new
    /// cluster's. Taken as a position, it would skip the new cluster's changes; it is ignored, as at the start.
    /// </summary>
    [Fact]
    public async Task A_reconnect_after_an_allowed_system_change_does_not_skip_the_new_clusters_changes()
    {
        // The first cluster's newest message lies a few WAL segments ahead of where a new cluster starts.
        var cdc = StartCdc("origin");
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        for (var id = 1; id <= 3; id++)
        {
            await InsertAsync(id, 1);
            await _pg.ExecuteAsync("SELECT pg_switch_wal()", Database);
        }

        await StreamContents.WaitForAsync(_nats.Url, Stream, 3, TimeSpan.FromSeconds(60));
        await StopAsync(cdc);

        await using var other = await StartOtherClusterAsync();
        var oldEnd = Lsn((await _pg.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text", Database))!);
        var newEnd = Lsn((await other.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text", Database))!);
        Assert.True(newEnd + (32UL << 20) < oldEnd, $"the new cluster is at {newEnd:X}, not well behind the old one's {oldEnd:X}");

        await using var allowed = StartCdc("origin", new Dictionary<string, string> { ["Cdc__AllowSystemChange"] = "true" }, other);
        await allowed.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        // A PostgreSQL reconnect before the new cluster stored anything.
        var first = await other.ScalarAsync<int>("SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'origin' AND active_pid IS NOT NULL", Database);
        await other.ExecuteAsync($"SELECT pg_terminate_backend({first})", Database);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await other.ScalarAsync<long>($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'origin' AND active_pid IS NOT NULL AND active_pid <> {first}", Database) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the slot is not active again on a new walsender: " + allowed.Output);
            await Task.Delay(200);
        }

        for (var id = 10; id < 15; id++)
        {
            await other.ExecuteAsync($"INSERT INTO items VALUES ({id}, 'on the other cluster')", Database);
        }

        var after = await StreamContents.WaitForAsync(_nats.Url, Stream, 8, TimeSpan.FromSeconds(60));
        Assert.Equal(["1", "2", "3", "10", "11", "12", "13", "14"], after.Select(c => ValueText.Render(c.Event.NewRow[0].Value)));
        await Task.Delay(TimeSpan.FromSeconds(2)); // nothing more arrives
        Assert.Equal(8, (await StreamContents.ReadAllAsync(_nats.Url, Stream)).Count);
    }

    private static ulong Lsn(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return (Convert.ToUInt64(text[..slash], 16) << 32) | Convert.ToUInt64(text[(slash + 1)..], 16);
    }

    private async Task<List<GapEvent>> ReadGapsAsync()
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = _nats.Url, Name = "test-gap-reader" });
        var js = new NatsJSContext(connection);
        var consumer = await js.CreateOrderedConsumerAsync(Stream, new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All });
        var gaps = new List<GapEvent>();
        await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1000, Expires = TimeSpan.FromSeconds(1) }))
        {
            if (msg.Subject == "cdc.resume._gap")
            {
                Assert.Equal("application/protobuf; proto=cdc.v1.GapEvent", msg.Headers?["Content-Type"].ToString());
                gaps.Add(GapEvent.Parser.ParseFrom(msg.Data));
            }
        }

        return gaps;
    }
}
