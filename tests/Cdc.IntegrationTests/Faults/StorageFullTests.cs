using System.Net;
using System.Text.Json;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// JetStream without room for another message (the server's storage used up, or a stream at its max_bytes with
/// discard new): Cdc holds every change (the slot does not advance), says once what to change, turns /readyz and
/// <c>cdc status</c> red, and once there is room delivers everything committed meanwhile, once each and in commit order.
/// Before, such a refusal was retried four times a second with a generic warning each time, and nothing but the log said
/// why nothing arrived.
/// </summary>
public sealed class StorageFullTests
{
    private const int Transactions = 40;
    private const int RowsPerTransaction = 50;
    private const int Committed = Transactions * RowsPerTransaction;

    [Fact]
    public async Task A_JetStream_server_out_of_storage_holds_every_change_until_it_has_room_then_delivers_each_once_in_order()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        nats.JetStreamLimits = "max_file_store: 131072"; // room for about 200 of the 2,000 changes
        await nats.RestartAsync();
        await using var run = await FullRun.StartAsync(pg, nats, "jsfull");

        await run.CommitAsync(0, Transactions);
        await run.AssertHeldAsync("max_file_store");

        // The operator raises the server's limit and restarts it: everything held arrives.
        nats.JetStreamLimits = "max_file_store: 268435456";
        await nats.RestartAsync();
        await run.AssertDeliveredOnceInOrderAsync();
    }

    [Fact]
    public async Task A_stream_at_max_bytes_with_discard_new_holds_every_change_until_it_has_room_then_delivers_each_once_in_order()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await using var run = await FullRun.StartAsync(pg, nats, "streamfull");

        // A first part arrives; then the operator caps the stream just above what it holds, refusing what comes next.
        await run.CommitAsync(0, 5);
        await SlotPosition.WaitForConfirmedAsync(pg, run.Slot, await SlotPosition.CurrentWalLsnAsync(pg, run.Slot), TimeSpan.FromSeconds(60), run.Slot, () => run.Cdc.Output);
        await using (var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Url }))
        {
            var js = new NatsJSContext(connection);
            var stream = await js.GetStreamAsync(run.Stream);
            await js.UpdateStreamAsync(stream.Info.Config with { MaxBytes = (long)stream.Info.State.Bytes + 16_384, Discard = NATS.Client.JetStream.Models.StreamConfigDiscard.New });
        }

        await run.CommitAsync(5, Transactions);
        await run.AssertHeldAsync("max_bytes");

        // The operator lifts the cap while Cdc runs: everything held arrives.
        await using (var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Url }))
        {
            var js = new NatsJSContext(connection);
            var stream = await js.GetStreamAsync(run.Stream);
            await js.UpdateStreamAsync(stream.Info.Config with { MaxBytes = -1 });
        }

        await run.AssertDeliveredOnceInOrderAsync();
    }

    /// <summary>One <c>cdc run</c> with its status endpoint, over a table of numbered rows committed in transactions.</summary>
    private sealed class FullRun : IAsyncDisposable
    {
        private readonly PostgresServer _pg;
        private readonly NatsServer _nats;
        private readonly HttpClient _http;

        private FullRun(PostgresServer pg, NatsServer nats, string slot, CdcProcess cdc, string httpAddress)
        {
            _pg = pg;
            _nats = nats;
            Slot = slot;
            Cdc = cdc;
            HttpAddress = httpAddress;
            _http = new HttpClient { BaseAddress = new Uri($"http://{httpAddress}/") };
        }

        public string Slot { get; }

        public string Stream => Slot.ToUpperInvariant();

        public CdcProcess Cdc { get; }

        public string HttpAddress { get; }

        public static async Task<FullRun> StartAsync(PostgresServer pg, NatsServer nats, string slot)
        {
            await pg.CreateDatabaseAsync(slot);
            await pg.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY, payload text NOT NULL);", slot);
            var http = $"127.0.0.1:{FreePort.Next()}";
            var cdc = CdcProcess.Start(
            [
                "run", "--connection", pg.ConnectionString(slot), "--nats", nats.Url, "--slot", slot, "--publication", slot + "_pub",
                "--stream", slot.ToUpperInvariant(), "--snapshot", "never", "--http", http,
            ]);
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            return new FullRun(pg, nats, slot, cdc, http);
        }

        /// <summary>Commits transactions <paramref name="from"/> to <paramref name="to"/> (exclusive), rows numbered in commit order.</summary>
        public async Task CommitAsync(int from, int to)
        {
            for (var tx = from; tx < to; tx++)
            {
                var first = (tx * RowsPerTransaction) + 1;
                await _pg.ExecuteAsync(
                    $"INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series({first}, {first + RowsPerTransaction - 1}) g;", Slot);
            }
        }

        /// <summary>Cdc holds: the slot stays behind, the stream short; one line names <paramref name="setting"/>; /readyz and cdc status say why.</summary>
        public async Task AssertHeldAsync(string setting)
        {
            await Eventually.UntilAsync(() => Refusal() is not null, TimeSpan.FromSeconds(60), "a publish refusal in /status", diagnostics: () => Cdc.Output);
            var walEnd = await SlotPosition.CurrentWalLsnAsync(_pg, Slot);
            await SlotPosition.WaitForReceivedAsync(_pg, Slot, walEnd, TimeSpan.FromSeconds(60), Slot, () => Cdc.Output);
            await Task.Delay(TimeSpan.FromSeconds(5)); // several retries while full

            Assert.Contains(setting, Refusal(), StringComparison.Ordinal);
            Assert.False(Cdc.HasExited, Cdc.Output);
            Assert.True(
                await _pg.ScalarAsync<bool>($"SELECT confirmed_flush_lsn < '{walEnd}'::pg_lsn FROM pg_replication_slots WHERE slot_name = '{Slot}'", Slot),
                "the slot advanced past changes JetStream refused");
            Assert.InRange((await StreamContents.ReadAllAsync(_nats.Url, Stream)).Count, 0, Committed - 1);

            var lines = Cdc.Output.Split('\n').Where(l => l.Contains(setting, StringComparison.Ordinal) && l.Contains("raise", StringComparison.Ordinal)).ToList();
            Assert.True(lines.Count == 1, $"expected one line naming {setting}, got {lines.Count}:\n{Cdc.Output}");

            var ready = await _http.GetAsync("readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains(setting, await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            var (exit, screen) = await CdcProcess.RunAsync(["status", "--http", HttpAddress], TimeSpan.FromSeconds(30));
            Assert.True(exit == 5, $"cdc status exit {exit} instead of 5 (degraded):\n{screen}");
            Assert.Contains(setting, screen, StringComparison.Ordinal);
        }

        /// <summary>Once there is room: the slot reaches the WAL end and the stream holds every row once, in commit order.</summary>
        public async Task AssertDeliveredOnceInOrderAsync()
        {
            await SlotPosition.WaitForConfirmedAsync(_pg, Slot, await SlotPosition.CurrentWalLsnAsync(_pg, Slot), TimeSpan.FromSeconds(90), Slot, () => Cdc.Output);
            var changes = await StreamContents.ReadAllAsync(_nats.Url, Stream);
            var ids = changes.OrderBy(c => c.Sequence).Select(c => c.Event.NewRow[0].Value.Int).ToList();
            Assert.Equal(Enumerable.Range(1, Committed).Select(i => (long)i), ids);
            Assert.Equal(Committed, changes.Select(c => c.MessageId).Distinct().Count());
            await Eventually.UntilAsync(() => Refusal() is null, TimeSpan.FromSeconds(10), "the refusal to clear", diagnostics: () => Cdc.Output);
            Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("readyz")).StatusCode);
            Assert.Contains("JetStream stores messages again", Cdc.Output, StringComparison.Ordinal);
        }

        private string? Refusal()
        {
            try
            {
                using var document = JsonDocument.Parse(_http.GetStringAsync("status").GetAwaiter().GetResult());
                return document.RootElement.GetProperty("sink").TryGetProperty("publish_refusal", out var refusal) && refusal.ValueKind == JsonValueKind.String
                    ? refusal.GetString()
                    : null;
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await Cdc.DisposeAsync();
        }
    }
}
