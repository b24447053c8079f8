using Cdc.Sink;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// Writing to the broker: the newest acknowledged stream sequence and duplicate acks (counted by the ack router), the
/// connection and the PubAcks awaited (read from the sink at collection). Read by <c>/status</c> and
/// <see cref="SinkInstruments"/>.
/// </summary>
public sealed class SinkStatus
{
    private long _duplicateAcks;
    private long _lastStreamSequence;
    private ISinkHealth? _health;
    private Func<int>? _pendingAcks;

    public long DuplicateAcks => Interlocked.Read(ref _duplicateAcks);

    /// <summary>Publishes JetStream answered as duplicates (stored once already, within its duplicate window).</summary>
    public long JetStreamDuplicates => Health?.JetStreamDuplicates ?? 0;

    public ulong LastStreamSequence => (ulong)Interlocked.Read(ref _lastStreamSequence);

    /// <summary>The sink's connection to its broker; null before the sink is created.</summary>
    public ISinkHealth? Health => Volatile.Read(ref _health);

    /// <summary>Messages published and awaiting a PubAck; null for a sink that does not wait for any.</summary>
    public int? PendingAcks => Volatile.Read(ref _pendingAcks)?.Invoke();

    /// <summary>The sink created for this run: its connection, and how to count the PubAcks it awaits (none for the null sink).</summary>
    public void Attach(ISinkHealth health, Func<int>? pendingAcks)
    {
        Volatile.Write(ref _pendingAcks, pendingAcks);
        Volatile.Write(ref _health, health);
    }

    public void CountDuplicateAck() => Interlocked.Increment(ref _duplicateAcks);

    public void SetStreamSequence(ulong sequence)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _lastStreamSequence);
            if ((long)sequence <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _lastStreamSequence, (long)sequence, current) != current);
    }
}
