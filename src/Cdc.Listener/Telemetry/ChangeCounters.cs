using System.Collections.Concurrent;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// What the pipeline delivered: changes and bytes (in total and per table and operation), transactions, replays
/// skipped, and the commit-to-acknowledgement lag. Counted with Interlocked on the per-change path; the per-table
/// <see cref="TableCounter"/> is looked up once and kept by the caller. Read by <c>/status</c> and
/// <see cref="PipelineInstruments"/>.
/// </summary>
/// <param name="time">The clock of the commit-to-ack lag; the system clock unless a test gives a fake one.</param>
public sealed class ChangeCounters(TimeProvider? time = null)
{
    /// <summary>Distinct logical message prefixes counted on their own; later ones share one entry.</summary>
    public const int MaxMessagePrefixes = 64;

    /// <summary>The entry of the logical messages past the first <see cref="MaxMessagePrefixes"/> prefixes (no dot: no table or prefix entry can be named so).</summary>
    public const string OtherMessagePrefixes = "_message_other_prefixes";

    private const string MessageOperation = "message";

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _changes;
    private long _bytes;
    private long _transactions;
    private long _skippedTransactions;
    private long _lastCommitTimeMicros;
    private long _lastAckedCommitTimeMicros;
    private long _oldestUnackedCommitMicros;
    private long _lastAckLagMicros;
    private int _messagePrefixes;

    public long Changes => Interlocked.Read(ref _changes);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Replayed transactions skipped because the ledger had them delivered already.</summary>
    public long SkippedTransactions => Interlocked.Read(ref _skippedTransactions);

    public long LastCommitTimeMicros => Interlocked.Read(ref _lastCommitTimeMicros);

    /// <summary>Commit time of the newest transaction whose changes are all acknowledged.</summary>
    public long LastAckedCommitTimeMicros => Interlocked.Read(ref _lastAckedCommitTimeMicros);

    /// <summary>Per table and operation: changes and payload bytes delivered to the sink.</summary>
    public ConcurrentDictionary<(string Table, string Operation), TableCounter> Tables { get; } = new();

    /// <summary>The counter of one table and operation; callers on the hot path keep it.</summary>
    public TableCounter CounterFor(string table, string operation)
        => Tables.GetOrAdd((table, operation), static _ => new TableCounter());

    /// <summary>
    /// The counter of logical messages with one prefix (<paramref name="table"/> is <c>_message.&lt;prefix&gt;</c>).
    /// Prefixes are chosen by applications, so only the first <see cref="MaxMessagePrefixes"/> distinct ones get
    /// their own entry (a metric label each); messages with any later prefix count under <see cref="OtherMessagePrefixes"/>.
    /// </summary>
    public TableCounter MessageCounterFor(string table)
    {
        if (Tables.TryGetValue((table, MessageOperation), out var counter))
        {
            return counter;
        }

        lock (Tables)
        {
            if (_messagePrefixes >= MaxMessagePrefixes)
            {
                return CounterFor(OtherMessagePrefixes, MessageOperation);
            }

            _messagePrefixes++;
            return CounterFor(table, MessageOperation);
        }
    }

    public void CountChange(TableCounter counter, int bytes)
    {
        Interlocked.Increment(ref _changes);
        Interlocked.Add(ref _bytes, bytes);
        counter.Add(bytes);
    }

    public void CountSkipped() => Interlocked.Increment(ref _skippedTransactions);

    /// <param name="commitTimeMicros">
    /// Its commit time; 0 for a non-transactional logical message (a heartbeat, an outbox message emitted outside a
    /// transaction), which has none and so takes no part in the end-to-end lag (0 would read as a commit in 1970).
    /// </param>
    public void CountTransaction(long commitTimeMicros)
    {
        Interlocked.Increment(ref _transactions);
        if (commitTimeMicros <= 0)
        {
            return;
        }

        // Before the commit time is published, so an ack that sees this commit time also sees it pending.
        Interlocked.CompareExchange(ref _oldestUnackedCommitMicros, commitTimeMicros, 0);
        Interlocked.Exchange(ref _lastCommitTimeMicros, commitTimeMicros);
    }

    /// <param name="commitTimeMicros">The acknowledged transaction's commit time; 0 (no commit time) is ignored.</param>
    public void CountAckedTransaction(long commitTimeMicros)
    {
        if (commitTimeMicros <= 0)
        {
            return;
        }

        Interlocked.Exchange(ref _lastAckedCommitTimeMicros, commitTimeMicros);
        Interlocked.Exchange(ref _lastAckLagMicros, Math.Max(0, ToMicros(_time.GetUtcNow()) - commitTimeMicros));
        var oldest = Interlocked.Read(ref _oldestUnackedCommitMicros);
        var received = Interlocked.Read(ref _lastCommitTimeMicros);

        // Everything received is acknowledged: nothing pending. Otherwise the next pending
        // transaction committed at or after this one.
        Interlocked.CompareExchange(ref _oldestUnackedCommitMicros, commitTimeMicros >= received ? 0 : commitTimeMicros, oldest);
    }

    /// <summary>
    /// Commit-to-acknowledgement delay now: while a received transaction waits for its acks, the age
    /// of the oldest one (an upper bound: commit times are known per acknowledged transaction, so the
    /// estimate may exceed the truth by the gap between two commits); otherwise the delay measured
    /// when the newest transaction was acknowledged. Null before the first transaction.
    /// </summary>
    public TimeSpan? EndToEndLag(DateTimeOffset now)
    {
        var oldest = Interlocked.Read(ref _oldestUnackedCommitMicros);
        if (oldest > 0)
        {
            return TimeSpan.FromMicroseconds(Math.Max(0, ToMicros(now) - oldest));
        }

        var measured = Interlocked.Read(ref _lastAckLagMicros);
        return measured > 0 || LastAckedCommitTimeMicros > 0 ? TimeSpan.FromMicroseconds(Math.Max(0, measured)) : null;
    }

    private static long ToMicros(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / 10;
}
