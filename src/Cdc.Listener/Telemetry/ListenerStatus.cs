using System.Collections.Concurrent;
using Cdc.Listener.Configuration;
using Cdc.Listener.Delivery;
using Cdc.Listener.Source;
using Cdc.Sink;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// Live numbers of the running listener, shared by the pipeline (writer) and the status endpoint,
/// metrics and logs (readers). Counters are updated with Interlocked; nothing here blocks the hot path.
/// </summary>
/// <param name="time">The clock of start time and commit-to-ack lag; the system clock unless a test gives a fake one.</param>
public sealed class ListenerStatus(TimeProvider? time = null)
{
    private long _changes;
    private long _bytes;
    private long _transactions;
    private long _reconnects;
    private long _errors;
    private long _skippedTransactions;
    private long _resumeSkippedTransactions;
    private long _resumeSkippedChanges;
    private long _sourceGaps;
    private long _lastCommitTimeMicros;
    private long _lastAckedCommitTimeMicros;
    private long _confirmedFlushLsn;
    private long _lastReceivedLsn;
    private long _duplicateAcks;
    private long _lastStreamSequence;
    private long _oldestUnackedCommitMicros;
    private long _lastAckLagMicros;
    private SlotState? _slotState;
    private string? _lastError;
    private string? _sinkServer;
    private int _messagePrefixes;

    public DateTimeOffset StartedAt { get; } = (time ?? TimeProvider.System).GetUtcNow();

    /// <summary>The clock every reader of these numbers uses (uptime, lag, change rate).</summary>
    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    /// <summary>starting, connecting, streaming, standby (slot held by another instance), reconnecting, draining, stopped, failed.</summary>
    public string State { get; set; } = "starting";

    /// <summary>The newest error's message, with URL secrets masked.</summary>
    public string? LastError
    {
        get => Volatile.Read(ref _lastError);
        set => Volatile.Write(ref _lastError, UrlRedaction.RedactOrNull(value));
    }

    public string Slot { get; set; } = string.Empty;

    public string Publication { get; set; } = string.Empty;

    public string Database { get; set; } = string.Empty;

    public string Sink { get; set; } = string.Empty;

    /// <summary>The sink's server URLs as shown, with passwords and tokens masked.</summary>
    public string? SinkServer
    {
        get => _sinkServer;
        set => _sinkServer = UrlRedaction.RedactOrNull(value);
    }

    public string? Stream { get; set; }

    public int ProtocolVersion { get; set; }

    public long MaxInFlightBytes { get; set; }

    /// <summary>Heartbeats through the slot; null when they are off.</summary>
    public HeartbeatMonitor? Heartbeat { get; set; }

    /// <summary>Supplies live in-flight numbers from the ledger (bytes, chunks, pending transactions).</summary>
    public Func<(long Bytes, int Chunks, int Transactions)>? InFlight { get; set; }

    /// <summary>Supplies the number of messages the sink has published and awaits a PubAck for.</summary>
    public Func<int>? PendingAcks { get; set; }

    /// <summary>The current sink's connection to its broker; null before the first sink is created.</summary>
    public ISinkHealth? SinkHealth { get; set; }

    /// <summary>Supplies the ledger's monotonic counters (pushes, acks, waits for budget).</summary>
    public Func<LedgerCounters>? Ledger { get; set; }

    /// <summary>The outbox relay's counters, when <c>Cdc:Outbox:Tables</c> names tables.</summary>
    public Func<Outbox.OutboxCounters>? Outbox { get; set; }

    /// <summary>The running backfills' progress.</summary>
    public Func<IReadOnlyList<BackfillProgress>>? Backfills { get; set; }

    /// <summary>The replication slot as PostgreSQL last reported it (polled by the status sampler); null until read.</summary>
    public SlotState? SlotState
    {
        get => Volatile.Read(ref _slotState);
        set => Volatile.Write(ref _slotState, value);
    }

    public long Changes => Interlocked.Read(ref _changes);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Transactions => Interlocked.Read(ref _transactions);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    public long Errors => Interlocked.Read(ref _errors);

    public long SkippedTransactions => Interlocked.Read(ref _skippedTransactions);

    public long DuplicateAcks => Interlocked.Read(ref _duplicateAcks);

    /// <summary>Transactions (whole or in part) the server sent again that the stream already held (or the slot had confirmed).</summary>
    public long ResumeSkippedTransactions => Interlocked.Read(ref _resumeSkippedTransactions);

    /// <summary>Changes of a transaction stored in part before a restart, skipped because the stream held them.</summary>
    public long ResumeSkippedChanges => Interlocked.Read(ref _resumeSkippedChanges);

    /// <summary>Gap events published: LSN ranges never captured because a lost slot was recreated (Cdc:AllowSlotGap).</summary>
    public long SourceGaps => Interlocked.Read(ref _sourceGaps);

    public ulong ConfirmedFlushLsn => (ulong)Interlocked.Read(ref _confirmedFlushLsn);

    public ulong LastReceivedLsn => (ulong)Interlocked.Read(ref _lastReceivedLsn);

    public long LastCommitTimeMicros => Interlocked.Read(ref _lastCommitTimeMicros);

    /// <summary>Commit time of the newest transaction whose changes are all acknowledged.</summary>
    public long LastAckedCommitTimeMicros => Interlocked.Read(ref _lastAckedCommitTimeMicros);

    public ulong LastStreamSequence => (ulong)Interlocked.Read(ref _lastStreamSequence);

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

    /// <summary>Distinct logical message prefixes counted on their own; later ones share one entry.</summary>
    public const int MaxMessagePrefixes = 64;

    /// <summary>The entry of the logical messages past the first <see cref="MaxMessagePrefixes"/> prefixes (no dot: no table or prefix entry can be named so).</summary>
    public const string OtherMessagePrefixes = "_message_other_prefixes";

    private const string MessageOperation = "message";

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
        Interlocked.Exchange(ref _lastAckLagMicros, Math.Max(0, ToMicros(Time.GetUtcNow()) - commitTimeMicros));
        var oldest = Interlocked.Read(ref _oldestUnackedCommitMicros);
        var received = Interlocked.Read(ref _lastCommitTimeMicros);

        // Everything received is acknowledged: nothing pending. Otherwise the next pending
        // transaction committed at or after this one.
        Interlocked.CompareExchange(ref _oldestUnackedCommitMicros, commitTimeMicros >= received ? 0 : commitTimeMicros, oldest);
    }

    public void CountReconnect() => Interlocked.Increment(ref _reconnects);

    public void CountError(string message)
    {
        Interlocked.Increment(ref _errors);
        LastError = message;
    }

    public void CountSkipped() => Interlocked.Increment(ref _skippedTransactions);

    public void CountResumeSkippedTransactions(long count) => Interlocked.Add(ref _resumeSkippedTransactions, count);

    public void CountResumeSkippedChange() => Interlocked.Increment(ref _resumeSkippedChanges);

    public void CountSourceGap() => Interlocked.Increment(ref _sourceGaps);

    public void CountDuplicateAck() => Interlocked.Increment(ref _duplicateAcks);

    public void SetConfirmedFlush(ulong lsn) => Interlocked.Exchange(ref _confirmedFlushLsn, (long)lsn);

    public void SetLastReceived(ulong lsn) => Interlocked.Exchange(ref _lastReceivedLsn, (long)lsn);

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

    private static long ToMicros(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / 10;
}

/// <summary>Changes and bytes of one table and operation.</summary>
public sealed class TableCounter
{
    private long _changes;
    private long _bytes;

    public long Changes => Interlocked.Read(ref _changes);

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Add(int bytes)
    {
        Interlocked.Increment(ref _changes);
        Interlocked.Add(ref _bytes, bytes);
    }
}
