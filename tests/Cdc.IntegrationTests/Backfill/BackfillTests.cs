using System.Text.RegularExpressions;
using Cdc.IntegrationTests.Snapshot;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;

namespace Cdc.IntegrationTests.Backfill;

/// <summary>
/// Online backfill (<c>cdc backfill</c> and the SQL signal) against real servers: under a writer that inserts, updates
/// and deletes, with Cdc SIGKILLed mid-backfill several times and NATS restarted once, the stream replayed onto empty
/// maps equals the tables, no key goes back to an older version, and every row is read by the backfill unless a
/// change streamed after its start superseded it. The keyless table is read by ctid.
/// </summary>
public sealed partial class BackfillTests : IAsyncLifetime
{
    private const string Schema = """
        CREATE SEQUENCE ver;
        CREATE TABLE items (id int PRIMARY KEY, v bigint NOT NULL, note text);
        CREATE TABLE nokey (v bigint NOT NULL, note text);
        """;

    private const int Existing = 100_000;

    private PostgresServer _pg = null!;
    private NatsServer _nats = null!;
    private string _connection = null!;

    public async Task InitializeAsync()
    {
        _pg = await PostgresServer.StartAsync();
        _nats = await NatsServer.StartAsync();
        await _pg.CreateDatabaseAsync("bf");
        _connection = _pg.ConnectionString("bf");
        await _pg.ExecuteAsync(Schema, "bf");
        await _pg.ExecuteAsync(
            $"""
            INSERT INTO items SELECT g, nextval('ver'), 'row ' || g FROM generate_series(1, {Existing}) g;
            INSERT INTO nokey SELECT nextval('ver'), 'k ' || g FROM generate_series(1, 5000) g;
            ANALYZE items; ANALYZE nokey;
            """, "bf");
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        await _pg.DisposeAsync();
    }

    private string[] Settings(string slot) =>
    [
        "--connection", _connection, "--nats", _nats.Url, "--slot", slot, "--publication", slot + "_pub",
        "--stream", "BF", "--subject-prefix", "cdc",
    ];

    private CdcProcess StartCdc(string slot) => CdcProcess.Start(
        ["run", .. Settings(slot), "--shutdown-timeout", "00:00:05", "--http", "off", "--snapshot", "never", "--set", "Cdc:Backfill:ChunkRows=400"]);

    [Fact]
    public async Task Backfill_under_a_writer_with_kills_and_a_nats_restart_replays_to_the_tables()
    {
        const string slot = "bfkill";
        var outputs = new List<string>();
        var cdc = StartCdc(slot);
        using var stopWriter = new CancellationTokenSource();
        var writer = new SnapshotWriter(_connection, firstNewId: 1_000_000, existing: Existing);
        Task writing = Task.CompletedTask;
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(120));
            writing = writer.RunAsync(stopWriter.Token);
            await Task.Delay(500);
            var (exit, said) = await CdcProcess.RunAsync(["backfill", .. Settings(slot), "--table", "public.items"], TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, said);
            Assert.Contains("requested public.items", said, StringComparison.Ordinal);
            await _pg.ExecuteAsync("SELECT pg_logical_emit_message(true, 'cdc.backfill', '{\"table\":\"public.nokey\"}')", "bf");

            // Killed three times while items is being read; NATS restarted once in between.
            for (var kill = 0; kill < 3; kill++)
            {
                await cdc.WaitForOutputAsync("Backfill of public.items " + (kill == 0 ? "started" : "resumed"), TimeSpan.FromSeconds(120));
                await Task.Delay(1200 + (kill * 400));
                if (kill == 1)
                {
                    await _nats.RestartAsync();
                    await Task.Delay(1500);
                }

                Assert.DoesNotContain("Backfill of public.items complete", cdc.Output, StringComparison.Ordinal);
                await cdc.KillAsync();
                outputs.Add(cdc.Output);
                await cdc.DisposeAsync();
                cdc = StartCdc(slot);
            }

            await cdc.WaitForOutputAsync("Backfill of public.items complete", TimeSpan.FromSeconds(300));
            if (!string.Join("\n", outputs).Contains("Backfill of public.nokey complete", StringComparison.Ordinal))
            {
                await cdc.WaitForOutputAsync("Backfill of public.nokey complete", TimeSpan.FromSeconds(120));
            }

            await Task.Delay(1000);
            await stopWriter.CancelAsync();
            await writing;
            var lsn = await SlotPosition.CurrentWalLsnAsync(_pg, "bf");
            await SlotPosition.WaitForConfirmedAsync(_pg, slot, lsn, TimeSpan.FromSeconds(120), "bf", () => cdc.Output);
            outputs.Add(cdc.Output);

            // Each restart resumed after the chunks acknowledged before the kill, not from the start.
            var resumedAt = ResumedChunk().Matches(string.Join("\n", outputs)).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.True(resumedAt.Count >= 3, string.Join("\n----\n", outputs));
            Assert.True(resumedAt.Zip(resumedAt.Skip(1)).All(p => p.Second > p.First) && resumedAt[0] > 1, "resumed at chunks " + string.Join(", ", resumedAt));

            var changes = await StreamContents.ReadAllAsync(_nats.Url, "BF");
            var markers = await StreamContents.ReadMarkersAsync(_nats.Url, "BF");
            var itemsMarker = Assert.Single(markers, m => m.Marker.Table == "items").Marker;
            Assert.Single(markers, m => m.Marker.Table == "nokey");
            var start = itemsMarker.ConsistentLsn;
            Assert.Equal(changes.Count, changes.Select(c => c.MessageId).Distinct().Count());
            Assert.True(writer.Committed > 100, $"the writer committed {writer.Committed} transactions");

            var replay = new BackfillReplay("nokey");
            replay.Apply(changes, markers, start);
            await replay.AssertEqualsAsync(_connection, "items", "id::text, v::text, note");
            await replay.AssertEqualsAsync(_connection, "nokey", "v::text, note");

            // Every row of the table was read by the backfill, unless a change streamed after its start superseded it.
            var keys = await BackfillReplay.SelectAsync(_connection, $"SELECT id::text FROM items WHERE id <= {Existing}");
            var unread = keys.Where(k => !replay.Read.Contains("items/" + k) && !replay.StreamedSince.Contains("items/" + k)).Take(5).ToList();
            Assert.True(unread.Count == 0, "never read by the backfill: " + string.Join(", ", unread));
            Assert.True(replay.Read.Count(k => k.StartsWith("items/", StringComparison.Ordinal)) > Existing / 2);
            var keyless = await BackfillReplay.SelectAsync(_connection, "SELECT v::text, note FROM nokey WHERE note LIKE 'k %'");
            Assert.All(keyless, row => Assert.Contains("nokey/" + row, replay.Read));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException || outputs.Count > 0)
        {
            throw new InvalidOperationException(e.Message + "\nEarlier runs:\n" + string.Join("\n----\n", outputs), e);
        }
        finally
        {
            await stopWriter.CancelAsync();
            await writing;
            await cdc.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("public.items", "nosuch > 1", "the predicate 'nosuch > 1' is refused (42703)")]
    [InlineData("public.nothere", null, "there is no table public.nothere")]
    [InlineData("items", null, "is not schema.table")]
    public async Task A_request_cdc_run_could_not_carry_out_is_refused_with_a_line_saying_why(string table, string? where, string expected)
    {
        string[] args = where is null ? ["backfill", .. Settings("bfbad"), "--table", table] : ["backfill", .. Settings("bfbad"), "--table", table, "--where", where];
        var (exit, said) = await CdcProcess.RunAsync(args, TimeSpan.FromSeconds(60));

        Assert.Equal(2, exit);
        Assert.Contains(expected, said, StringComparison.Ordinal);
        Assert.DoesNotContain("requested", said, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Backfill of public\.items resumed at chunk (\d+)")]
    private static partial Regex ResumedChunk();
}
