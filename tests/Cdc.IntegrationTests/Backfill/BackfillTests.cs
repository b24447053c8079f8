using System.Text.Json;
using System.Text.RegularExpressions;
using Cdc.IntegrationTests.Snapshot;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;

namespace Cdc.IntegrationTests.Backfill;

public sealed class BackfillTestsOn15() : BackfillTests(PostgresVersion.V15);

public sealed class BackfillTestsOn17() : BackfillTests(PostgresVersion.V17);

/// <summary>
/// Online backfill (<c>cdc backfill</c> and the SQL signal) against real servers: under a writer that inserts, updates
/// and deletes, with Cdc SIGKILLed mid-backfill several times and NATS restarted once, the stream replayed onto empty
/// maps equals the tables, no key goes back to an older version, and every row is read by the backfill unless a
/// change streamed after its start superseded it. The keyless table is read by ctid.
/// </summary>
public abstract partial class BackfillTests(PostgresVersion version) : ItemsServers(version, "bf")
{
    private const int Existing = 100_000;

    private string[] Settings(string slot) =>
    [
        "--connection", Connection, "--nats", Nats.Url, "--slot", slot, "--publication", slot + "_pub",
        "--stream", "BF", "--subject-prefix", "cdc",
    ];

    // The rate is pinned whatever the default: the kills below assume items takes several seconds to read.
    private CdcProcess StartCdc(string slot) => CdcProcess.Start(
        ["run", .. Settings(slot), "--shutdown-timeout", "00:00:05", "--http", "off", "--snapshot", "never",
            "--set", "Cdc:Backfill:ChunkRows=400", "--set", "Cdc:Backfill:MaxRowsPerSecond=10000"]);

    [Fact]
    public async Task Backfill_under_a_writer_with_kills_and_a_nats_restart_replays_to_the_tables()
    {
        const string slot = "bfkill";
        await FillAsync(Existing, nokey: 5_000);
        var outputs = new List<string>();
        var cdc = StartCdc(slot);
        using var stopWriter = new CancellationTokenSource();
        var writer = new SnapshotWriter(Connection, firstNewId: 1_000_000, existing: Existing);
        Task writing = Task.CompletedTask;
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(120));
            writing = writer.RunAsync(stopWriter.Token);
            await Task.Delay(500);
            var (exit, said) = await CdcProcess.RunAsync(["backfill", .. Settings(slot), "--table", "public.items"], TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, said);
            Assert.Contains("requested public.items", said, StringComparison.Ordinal);
            await Pg.ExecuteAsync("SELECT pg_logical_emit_message(true, 'cdc.backfill', '{\"table\":\"public.nokey\"}')", Database);

            // Killed three times while items is being read; NATS restarted once in between.
            for (var kill = 0; kill < 3; kill++)
            {
                await cdc.WaitForOutputAsync("Backfill of public.items " + (kill == 0 ? "started" : "resumed"), TimeSpan.FromSeconds(120));
                await Task.Delay(1200 + (kill * 400));
                if (kill == 1)
                {
                    await Nats.RestartAsync();
                    await Task.Delay(1500);
                }

                Assert.DoesNotContain("Backfill of public.items complete", cdc.Output, StringComparison.Ordinal);
                await cdc.KillAsync();
                outputs.Add(cdc.Output);
                await cdc.DisposeAsync();
                cdc = StartCdc(slot);
            }

            await cdc.WaitForOutputAsync("Backfill of public.items complete", TimeSpan.FromSeconds(300));
            await cdc.WaitForOutputAsync("Backfill of public.nokey complete", TimeSpan.FromSeconds(120));

            // nokey, requested after items, waited for it: across the three restarts too (the queue is kept in request order).
            Assert.DoesNotContain("Backfill of public.nokey started", string.Join("\n", outputs), StringComparison.Ordinal);
            Assert.True(
                cdc.Output.IndexOf("Backfill of public.items complete", StringComparison.Ordinal) < cdc.Output.IndexOf("Backfill of public.nokey started", StringComparison.Ordinal),
                cdc.Output);

            await Task.Delay(1000);
            await stopWriter.CancelAsync();
            await writing;
            var lsn = await SlotPosition.CurrentWalLsnAsync(Pg, Database);
            await SlotPosition.WaitForConfirmedAsync(Pg, slot, lsn, TimeSpan.FromSeconds(120), Database, () => cdc.Output);
            outputs.Add(cdc.Output);

            // Each restart resumed after the chunks acknowledged before the kill, not from the start.
            var resumedAt = ResumedChunk().Matches(string.Join("\n", outputs)).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.True(resumedAt.Count >= 3, string.Join("\n----\n", outputs));
            Assert.True(resumedAt.Zip(resumedAt.Skip(1)).All(p => p.Second > p.First) && resumedAt[0] > 1, "resumed at chunks " + string.Join(", ", resumedAt));

            var changes = await StreamContents.ReadAllAsync(Nats.Url, "BF");
            var markers = await StreamContents.ReadMarkersAsync(Nats.Url, "BF");
            var itemsMarker = Assert.Single(markers, m => m.Marker.Table == "items").Marker;
            Assert.Single(markers, m => m.Marker.Table == "nokey");
            var start = itemsMarker.ConsistentLsn;
            Assert.Equal(changes.Count, changes.Select(c => c.MessageId).Distinct().Count());
            Assert.True(writer.Committed > 100, $"the writer committed {writer.Committed} transactions");

            var replay = new BackfillReplay("nokey");
            replay.Apply(changes, markers, start);
            await replay.AssertEqualsAsync(Connection, "items", ItemsProjection);
            await replay.AssertEqualsAsync(Connection, "nokey", NokeyProjection);

            // Every row of the table was read by the backfill, unless a change streamed after its start superseded it.
            var keys = await BackfillReplay.SelectAsync(Connection, $"SELECT id::text FROM items WHERE id <= {Existing}");
            var unread = keys.Where(k => !replay.Read.Contains("items/" + k) && !replay.StreamedSince.Contains("items/" + k)).Take(5).ToList();
            Assert.True(unread.Count == 0, "never read by the backfill: " + string.Join(", ", unread));
            Assert.True(replay.Read.Count(k => k.StartsWith("items/", StringComparison.Ordinal)) > Existing / 2);
            var keyless = await BackfillReplay.SelectAsync(Connection, "SELECT v::text, note FROM nokey WHERE note LIKE 'k %'");
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

    [Fact]
    public async Task A_backfill_publishes_only_the_rows_and_columns_of_the_publication_and_requests_wait_in_order()
    {
        await FillAsync(items: 3_000, nokey: 0);
        await Pg.ExecuteAsync(
            """
            CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, email text);
            INSERT INTO people SELECT g, 'p' || g, 'p' || g || '@secret.example' FROM generate_series(1, 2000) g;
            """, Database);
        var port = FreePort.Next();
        await using var cdc = CdcProcess.Start(
        [
            "run", .. Settings("bffilter"), "--shutdown-timeout", "00:00:05", "--http", $"127.0.0.1:{port}", "--snapshot", "never",
            // A row filter on the key (PostgreSQL refuses the application's updates when it uses other columns) and a column list.
            "--set", "Cdc:RowFilters:public.items=id % 3 = 0", "--set", "Cdc:ExcludeColumns:public.people:0=email",
            "--set", "Cdc:Backfill:ChunkRows=100", "--set", "Cdc:Backfill:MaxRowsPerSecond=500",
        ]);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(120));

        // Two requests, people's committed first: items waits behind it, and /status says so.
        await Pg.ExecuteAsync("SELECT pg_logical_emit_message(true, 'cdc.backfill', '{\"table\":\"public.people\"}')", Database);
        await Pg.ExecuteAsync("SELECT pg_logical_emit_message(true, 'cdc.backfill', '{\"table\":\"public.items\"}')", Database);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        string[] expected = ["public.people running", "public.items queued 1"];
        await Eventually.UntilAsync(() => Backfills(http).SequenceEqual(expected), TimeSpan.FromSeconds(60),
            "/status listing people running and items queued", diagnostics: () => string.Join(", ", Backfills(http)) + "\n" + cdc.Output);

        await cdc.WaitForOutputAsync("Backfill of public.items complete", TimeSpan.FromSeconds(120));
        Assert.True(
            cdc.Output.IndexOf("Backfill of public.people complete", StringComparison.Ordinal) < cdc.Output.IndexOf("Backfill of public.items started", StringComparison.Ordinal),
            cdc.Output);
        Assert.Empty(Backfills(http));

        var reads = (await StreamContents.ReadAllAsync(Nats.Url, "BF")).Where(c => c.Event.Operation == Operation.Read).Select(c => c.Event).ToList();
        var items = reads.Where(e => e.Table == "items").Select(e => int.Parse(ValueText.Render(e.NewRow[0].Value)!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Enumerable.Range(1, 3_000).Where(id => id % 3 == 0), items.Order());
        var people = reads.Where(e => e.Table == "people").ToList();
        Assert.Equal(2_000, people.Select(e => e.NewRow[0].Value.ToString()).Distinct().Count());
        Assert.All(people, e => Assert.Equal(["id", "name"], e.NewRow.Select(c => c.Name)));
    }

    /// <summary>The backfills in <c>/status</c>, each as "table state [queue position]".</summary>
    private static List<string> Backfills(HttpClient http)
    {
        using var document = JsonDocument.Parse(http.GetStringAsync("status").GetAwaiter().GetResult());
        if (!document.RootElement.TryGetProperty("backfills", out var backfills) || backfills.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        return [.. backfills.EnumerateArray().Select(b => string.Join(" ",
            new[] { b.GetProperty("table").GetString(), b.GetProperty("state").GetString(), b.GetProperty("queue_position").ToString() }.Where(p => p is { Length: > 0 })))];
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
