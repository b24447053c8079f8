using Cdc.Listener.Source;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// Where reading from PostgreSQL stands: the confirmed flush and last received LSNs, the slot as the server last
/// reported it, the heartbeat, and the replay and reconnect counts. Written where each is measured (the confirm loop,
/// the pipeline, the supervisor, the status sampler); read by <c>/status</c> and <see cref="SourceInstruments"/>.
/// </summary>
public sealed class SourceProgress
{
    private long _confirmedFlushLsn;
    private long _lastReceivedLsn;
    private long _reconnects;
    private long _resumeSkippedTransactions;
    private long _resumeSkippedChanges;
    private long _sourceGaps;
    private SlotState? _slotState;
    private HeartbeatMonitor? _heartbeat;

    public ulong ConfirmedFlushLsn => (ulong)Interlocked.Read(ref _confirmedFlushLsn);

    public ulong LastReceivedLsn => (ulong)Interlocked.Read(ref _lastReceivedLsn);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Transactions (whole or in part) the server sent again that the stream already held (or the slot had confirmed).</summary>
    public long ResumeSkippedTransactions => Interlocked.Read(ref _resumeSkippedTransactions);

    /// <summary>Changes of a transaction stored in part before a restart, skipped because the stream held them.</summary>
    public long ResumeSkippedChanges => Interlocked.Read(ref _resumeSkippedChanges);

    /// <summary>Gap events published: LSN ranges never captured because a lost slot was recreated (Cdc:AllowSlotGap).</summary>
    public long SourceGaps => Interlocked.Read(ref _sourceGaps);

    /// <summary>The replication slot as PostgreSQL last reported it (polled by the status sampler); null until read.</summary>
    public SlotState? SlotState
    {
        get => Volatile.Read(ref _slotState);
        set => Volatile.Write(ref _slotState, value);
    }

    /// <summary>Heartbeats through the slot; null when they are off.</summary>
    public HeartbeatMonitor? Heartbeat
    {
        get => Volatile.Read(ref _heartbeat);
        set => Volatile.Write(ref _heartbeat, value);
    }

    public void SetConfirmedFlush(ulong lsn) => Interlocked.Exchange(ref _confirmedFlushLsn, (long)lsn);

    public void SetLastReceived(ulong lsn) => Interlocked.Exchange(ref _lastReceivedLsn, (long)lsn);

    public void CountReconnect() => Interlocked.Increment(ref _reconnects);

    public void CountResumeSkippedTransactions(long count) => Interlocked.Add(ref _resumeSkippedTransactions, count);

    public void CountResumeSkippedChange() => Interlocked.Increment(ref _resumeSkippedChanges);

    public void CountSourceGap() => Interlocked.Increment(ref _sourceGaps);
}
