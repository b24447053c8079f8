using System.Net;
using System.Text.Json;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Faults;

/// <summary>One <c>cdc run</c> with its status endpoint, over a table of numbered rows committed in transactions.</summary>
internal sealed class HeldRun : IAsyncDisposable
{
    public const int Transactions = 40;
    public const int RowsPerTransaction = 50;
    public const int Committed = Transactions * RowsPerTransaction;

    private readonly PostgresServer _pg;
    private readonly string _natsUrl;
    private readonly HttpClient _http;

    private readonly string[] _arguments;

    private HeldRun(PostgresServer pg, string natsUrl, string slot, string[] arguments, CdcProcess cdc, string httpAddress)
    {
        _pg = pg;
        _arguments = arguments;
        _natsUrl = natsUrl;
        Slot = slot;
        Cdc = cdc;
        HttpAddress = httpAddress;
        _http = new HttpClient { BaseAddress = new Uri($"http://{httpAddress}/") };
    }

    public string Slot { get; }

    public string Stream => Slot.ToUpperInvariant();

    public CdcProcess Cdc { get; private set; }

    public string HttpAddress { get; }

    public static async Task<HeldRun> StartAsync(PostgresServer pg, string natsUrl, string slot, params string[] settings)
    {
        await pg.CreateDatabaseAsync(slot);
        await pg.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY, payload text NOT NULL);", slot);
        var http = $"127.0.0.1:{FreePort.Next()}";
        string[] arguments =
        [
            "run", "--connection", pg.ConnectionString(slot), "--nats", natsUrl, "--slot", slot, "--publication", slot + "_pub",
            "--stream", slot.ToUpperInvariant(), "--snapshot", "never", "--http", http, .. settings,
        ];
        var cdc = CdcProcess.Start(arguments);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        return new HeldRun(pg, natsUrl, slot, arguments, cdc, http);
    }

    /// <summary>The operator starts cdc again after it stopped.</summary>
    public async Task RestartAsync()
    {
        await Cdc.DisposeAsync();
        Cdc = CdcProcess.Start(_arguments);
        await Cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
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

    /// <summary>
    /// Cdc holds: the slot stays behind, the stream short; one line names <paramref name="setting"/> and says
    /// <paramref name="advice"/>; /readyz and cdc status say why. <paramref name="streamReadable"/>: false when the
    /// server answers no JetStream request (then the stream cannot be counted).
    /// </summary>
    public async Task AssertHeldAsync(string setting, string advice, bool streamReadable = true)
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
        if (streamReadable)
        {
            Assert.InRange((await StreamContents.ReadAllAsync(_natsUrl, Stream)).Count, 0, Committed - 1);
        }

        var lines = Cdc.Output.Split('\n').Where(l => l.Contains(setting, StringComparison.Ordinal) && l.Contains(advice, StringComparison.Ordinal)).ToList();
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
        await AssertStreamHoldsOnceInOrderAsync(1);
        await Eventually.UntilAsync(() => Refusal() is null, TimeSpan.FromSeconds(10), "the refusal to clear", diagnostics: () => Cdc.Output);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("readyz")).StatusCode);
        Assert.Contains("JetStream stores messages again", Cdc.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Once the slot reaches the WAL end, the stream holds rows <paramref name="firstRow"/> to <see cref="Committed"/>, each
    /// once, in commit order.
    /// </summary>
    public async Task AssertStreamHoldsOnceInOrderAsync(int firstRow)
    {
        await WaitForConfirmedAsync();
        var changes = await StreamContents.ReadAllAsync(_natsUrl, Stream);
        var ids = changes.OrderBy(c => c.Sequence).Select(c => c.Event.NewRow[0].Value.Int).ToList();
        Assert.Equal(Enumerable.Range(firstRow, Committed - firstRow + 1).Select(i => (long)i), ids);
        Assert.Equal(ids.Count, changes.Select(c => c.MessageId).Distinct().Count());
    }

    /// <summary>Waits until the slot has confirmed everything committed so far.</summary>
    public async Task WaitForConfirmedAsync()
        => await SlotPosition.WaitForConfirmedAsync(_pg, Slot, await SlotPosition.CurrentWalLsnAsync(_pg, Slot), TimeSpan.FromSeconds(90), Slot, () => Cdc.Output);

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
