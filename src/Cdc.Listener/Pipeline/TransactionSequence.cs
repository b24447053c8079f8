namespace Cdc.Listener.Pipeline;

/// <summary>
/// Numbers delivered transactions across reconnects (the ledger requires +1 per transaction) and
/// remembers recent commit times by end LSN, so the confirm loop can tell the end-to-end lag.
/// </summary>
internal sealed class TransactionSequence
{
    private const int MaxRemembered = 65536;
    private readonly Queue<(ulong EndLsn, long CommitTimeMicros)> _commits = new();
    private long _next;
    private ulong _lastDeliveredEndLsn;

    public long Next() => _next++;

    /// <summary>End LSN of the newest transaction handed on for delivery, in this process: how far the stream may reach.</summary>
    public ulong LastDeliveredEndLsn => Volatile.Read(ref _lastDeliveredEndLsn);

    public void RecordCommit(ulong endLsn, long commitTimeMicros)
    {
        lock (_commits)
        {
            if (_commits.Count == MaxRemembered)
            {
                _commits.Dequeue();
            }

            _commits.Enqueue((endLsn, commitTimeMicros));
            Volatile.Write(ref _lastDeliveredEndLsn, Math.Max(_lastDeliveredEndLsn, endLsn));
        }
    }

    /// <summary>
    /// Commit time of the newest remembered transaction ending at or below <paramref name="flushLsn"/> that has one
    /// (a non-transactional logical message, such as a heartbeat, has none: 0).
    /// </summary>
    public long? TakeCommitTimeThrough(ulong flushLsn)
    {
        long? result = null;
        lock (_commits)
        {
            while (_commits.TryPeek(out var head) && head.EndLsn <= flushLsn)
            {
                result = head.CommitTimeMicros > 0 ? head.CommitTimeMicros : result;
                _commits.Dequeue();
            }
        }

        return result;
    }
}
