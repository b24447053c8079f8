namespace Cdc.Listener.Telemetry;

/// <summary>
/// Heartbeats through the slot: Cdc writes one into the WAL every interval (<c>pg_logical_emit_message</c>), the decoder
/// sees it, and it has arrived once the flush LSN passes it, i.e. once JetStream acknowledged every change before it.
/// Its age tells a stalled pipeline from an idle database; its send-to-arrival time is the end-to-end lag. Thread-safe.
/// </summary>
public sealed class HeartbeatMonitor(TimeSpan timeout, TimeProvider? time = null)
{
    /// <summary>The logical message prefix of heartbeats; their content is <c>&lt;slot&gt; &lt;sent, Unix microseconds&gt;</c>.</summary>
    public const string Prefix = "cdc.heartbeat";

    private const int MaxPending = 64;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Queue<(ulong EndLsn, long SentMicros)> _decoded = new();
    private readonly Lock _gate = new();
    private long _firstSentMicros;
    private long _lastArrivalMicros;
    private long _lastLagMicros = -1;

    public TimeSpan Timeout { get; } = timeout;

    /// <summary>A heartbeat was written into the WAL.</summary>
    public void Sent(long sentMicros) => Interlocked.CompareExchange(ref _firstSentMicros, sentMicros, 0);

    /// <summary>The decoder met one of this slot's heartbeats, ending at <paramref name="endLsn"/>.</summary>
    public void Decoded(ulong endLsn, long sentMicros)
    {
        lock (_gate)
        {
            if (_decoded.Count == MaxPending)
            {
                _decoded.Dequeue();
            }

            _decoded.Enqueue((endLsn, sentMicros));
        }
    }

    /// <summary>The flush LSN moved: heartbeats at or below it have arrived.</summary>
    public void ObserveFlush(ulong flushLsn)
    {
        var now = NowMicros();
        lock (_gate)
        {
            while (_decoded.TryPeek(out var beat) && beat.EndLsn <= flushLsn)
            {
                _decoded.Dequeue();
                Volatile.Write(ref _lastArrivalMicros, now);
                Volatile.Write(ref _lastLagMicros, Math.Max(0, now - beat.SentMicros));
            }
        }
    }

    /// <summary>Send to arrival of the newest arrived heartbeat; null before the first.</summary>
    public TimeSpan? Lag => Volatile.Read(ref _lastLagMicros) is >= 0 and var lag ? TimeSpan.FromMicroseconds(lag) : null;

    /// <summary>Since the newest heartbeat arrived (or, before one did, since the first was sent); null before any was sent.</summary>
    public TimeSpan? Age
    {
        get
        {
            var since = Volatile.Read(ref _lastArrivalMicros) is > 0 and var arrival ? arrival : Volatile.Read(ref _firstSentMicros);
            return since > 0 ? TimeSpan.FromMicroseconds(Math.Max(0, NowMicros() - since)) : null;
        }
    }

    /// <summary>No heartbeat arrived within <see cref="Timeout"/>: the pipeline is stalled somewhere between the WAL and JetStream.</summary>
    public bool IsLate => Age > Timeout;

    public long NowMicros() => _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
}
