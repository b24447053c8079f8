using System.Diagnostics;
using System.Globalization;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// The numbers of the fault test, per fault: what JetStream dropped as duplicates (the PubAcks Cdc counted as
/// duplicate), what Cdc skipped on resume because the stream already held it (read from the stream when a cdc process
/// starts), what it skipped of a replay after a reconnect (below its own flush position), and the recovery time.
/// Counters are read from each cdc process's /metrics every 200 ms. Resume skips belong to the fault that started the
/// process (its kill); duplicates and replay skips to the fault before them in time (what the counters grew by until the
/// next fault or the end of the run). Recovery: from the fault to the first message stored after the faulted part was
/// back (the stream's last sequence passing its value at that moment).
/// </summary>
internal sealed class FaultRecorder : IAsyncDisposable
{
    private static readonly string[] Counters =
    [
        "cdc_jetstream_duplicates_total", "cdc_resume_skipped_transactions_total", "cdc_resume_skipped_changes_total", "cdc_skipped_transactions_total",
    ];

    private readonly string _natsUrl;
    private readonly string _stream;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Fault> _faults = [];
    private readonly Task _polling;
    private readonly object _lock = new();
    private readonly List<(Fault? StartedBy, long[] Counts)> _processes = [];
    private long[] _current = new long[Counters.Length];
    private int _port;
    private int _processesRead;
    private bool _currentRead;

    public FaultRecorder(string natsUrl, string stream)
    {
        _natsUrl = natsUrl;
        _stream = stream;
        _polling = Task.Run(PollAsync);
    }

    /// <summary>A new cdc process serves /metrics on <paramref name="port"/>, started after <paramref name="startedBy"/> (null: the first).</summary>
    public void Watch(int port, Fault? startedBy)
    {
        lock (_lock)
        {
            _current = new long[Counters.Length];
            _processes.Add((startedBy, _current));
            _port = port;
            _currentRead = false;
        }
    }

    /// <summary>A fault is about to happen: the counts so far close the previous fault.</summary>
    public Fault Begin(string kind)
    {
        var fault = new Fault(kind, _clock.Elapsed, Totals());
        _faults.Add(fault);
        return fault;
    }

    /// <summary>The faulted part is back (cdc started again, the server restarted): waits in the background for the first new message.</summary>
    public async Task BackAsync(Fault fault)
    {
        var stored = await LastSequenceAsync(TimeSpan.FromSeconds(30)) ?? 0;
        fault.Recovery = Task.Run(async () =>
        {
            var deadline = _clock.Elapsed + TimeSpan.FromMinutes(3);
            while (_clock.Elapsed < deadline && !_stop.IsCancellationRequested)
            {
                if (await LastSequenceAsync(TimeSpan.FromSeconds(1)) > stored)
                {
                    return (TimeSpan?)(_clock.Elapsed - fault.At);
                }

                await Task.Delay(50);
            }

            return null;
        });
    }

    /// <summary>After the run (everything delivered): one row per fault, in the order they happened.</summary>
    public async Task<IReadOnlyList<FaultNumbers>> FinishAsync()
    {
        await Task.Delay(500); // one more poll of the last process
        var end = Totals();
        var rows = new List<FaultNumbers>();
        for (var i = 0; i < _faults.Count; i++)
        {
            var fault = _faults[i];
            var next = i + 1 < _faults.Count ? _faults[i + 1].Counts : end;
            var grew = next.Zip(fault.Counts, (a, b) => a - b).ToArray();
            long resumedTransactions, resumedChanges;
            lock (_lock)
            {
                resumedTransactions = _processes.Where(p => p.StartedBy == fault).Sum(p => p.Counts[1]);
                resumedChanges = _processes.Where(p => p.StartedBy == fault).Sum(p => p.Counts[2]);
            }

            rows.Add(new FaultNumbers(fault.Kind, fault.At, grew[0], resumedTransactions, resumedChanges, grew[3], fault.Recovery is null ? null : await fault.Recovery));
        }

        return rows;
    }

    /// <summary>How many cdc processes ran, and of how many /metrics was read at least once (a count of 0 means nothing unless it was).</summary>
    public string Coverage
    {
        get
        {
            lock (_lock)
            {
                return $"/metrics read from {_processesRead} of {_processes.Count} cdc processes";
            }
        }
    }

    /// <summary>The rows as a markdown table, then the totals per kind of fault.</summary>
    public static string Markdown(IReadOnlyList<FaultNumbers> rows, string title)
    {
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"### {title}")
            .AppendLine()
            .AppendLine("| # | at | fault | JetStream duplicates | resume skipped tx | resume skipped changes | replay skipped tx | recovery |")
            .AppendLine("|---|---|---|---|---|---|---|---|");
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {i + 1} | {r.At.TotalSeconds:F1}s | {r.Kind} | {r.DuplicateAcks} | {r.ResumeSkippedTransactions} | {r.ResumeSkippedChanges} | {r.ReplaySkippedTransactions} | {Seconds(r.Recovery)} |");
        }

        text.AppendLine()
            .AppendLine("| fault | count | JetStream duplicates | resume skipped tx | resume skipped changes | replay skipped tx | recovery median | recovery max |")
            .AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var kind in rows.GroupBy(r => r.Kind))
        {
            var recoveries = kind.Where(r => r.Recovery is not null).Select(r => r.Recovery!.Value).Order().ToList();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {kind.Key} | {kind.Count()} | {kind.Sum(r => r.DuplicateAcks)} | {kind.Sum(r => r.ResumeSkippedTransactions)} | {kind.Sum(r => r.ResumeSkippedChanges)} | "
                + $"{kind.Sum(r => r.ReplaySkippedTransactions)} | {Seconds(recoveries.Count == 0 ? null : recoveries[recoveries.Count / 2])} | {Seconds(recoveries.Count == 0 ? null : recoveries[^1])} |");
        }

        return text.ToString();
    }

    private static string Seconds(TimeSpan? value) => value is { } v ? v.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s" : "not within 3 min";

    private long[] Totals()
    {
        lock (_lock)
        {
            return Enumerable.Range(0, Counters.Length).Select(i => _processes.Sum(p => p.Counts[i])).ToArray();
        }
    }

    private async Task PollAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            int port;
            lock (_lock)
            {
                port = _port;
            }

            if (port != 0)
            {
                try
                {
                    var page = await _http.GetStringAsync($"http://127.0.0.1:{port}/metrics", _stop.Token);
                    var values = Parse(page);
                    lock (_lock)
                    {
                        if (_port == port)
                        {
                            // Counters only grow within a process: a smaller value is a page from before a restart.
                            for (var i = 0; i < values.Length; i++)
                            {
                                _current[i] = Math.Max(_current[i], values[i]);
                            }

                            if (!_currentRead)
                            {
                                _currentRead = true;
                                _processesRead++;
                            }
                        }
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Starting, killed or busy: the next poll reads it.
                }
            }

            try
            {
                await Task.Delay(200, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>The counters' values in a Prometheus text page (summed over label sets).</summary>
    private static long[] Parse(string page)
    {
        var values = new long[Counters.Length];
        foreach (var line in page.Split('\n'))
        {
            for (var i = 0; i < Counters.Length; i++)
            {
                if (line.StartsWith(Counters[i], StringComparison.Ordinal) && line.Length > Counters[i].Length && line[Counters[i].Length] is ' ' or '{')
                {
                    var value = line[(line.LastIndexOf(' ') + 1)..];
                    values[i] += (long)double.Parse(value, CultureInfo.InvariantCulture);
                }
            }
        }

        return values;
    }

    /// <summary>The stream's last sequence, or null when it could not be read within <paramref name="timeout"/> (NATS down).</summary>
    private async Task<ulong?> LastSequenceAsync(TimeSpan timeout)
    {
        var deadline = _clock.Elapsed + timeout;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await using var connection = new NatsConnection(NatsOpts.Default with { Url = _natsUrl, Name = "fault-recorder", ConnectTimeout = TimeSpan.FromSeconds(1) });
                var stream = await new NatsJSContext(connection).GetStreamAsync(_stream, cancellationToken: attempt.Token);
                return stream.Info.State.LastSeq;
            }
            catch (Exception e) when (e is NatsException or OperationCanceledException)
            {
                if (_clock.Elapsed >= deadline)
                {
                    return null;
                }

                await Task.Delay(50);
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _polling;
        _http.Dispose();
    }

    public sealed class Fault(string kind, TimeSpan at, long[] counts)
    {
        public string Kind { get; } = kind;

        public TimeSpan At { get; } = at;

        public long[] Counts { get; } = counts;

        public Task<TimeSpan?>? Recovery { get; set; }
    }
}

/// <summary>One fault's numbers.</summary>
internal sealed record FaultNumbers(
    string Kind, TimeSpan At, long DuplicateAcks, long ResumeSkippedTransactions, long ResumeSkippedChanges, long ReplaySkippedTransactions, TimeSpan? Recovery);
