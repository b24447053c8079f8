namespace Cdc.Listener.Delivery;

/// <summary>
/// The delivery state behind the replication slot: which pushed transactions are fully acknowledged, and the flush
/// LSN to confirm to PostgreSQL. Thread-safe; fed by <see cref="DeliveryLedger"/>, read by the listener.
/// </summary>
/// <remarks>
/// The flush LSN is the commit end LSN of the newest transaction such that it and every transaction pushed before
/// it are fully acknowledged. It starts at <see cref="InitialFlushLsn"/> (the slot's confirmed position) and only
/// moves forward. Reporting it as the standby status' flush position is safe: every transaction at or below it
/// is in the broker, every one above it will be sent again after a restart.
/// </remarks>
public sealed class LsnTracker
{
    private readonly Lock _gate = new();
    private readonly TransactionRing _ring = new();
    private ulong _flushLsn;
    private long _inFlightBytes;
    private int _pendingChunks;
    private TaskCompletionSource<ulong>? _advanced;
    private TaskCompletionSource? _settled;

    /// <param name="initialFlushLsn">The slot's confirmed flush position on start; the tracker never reports less.</param>
    public LsnTracker(ulong initialFlushLsn = 0)
    {
        InitialFlushLsn = initialFlushLsn;
        _flushLsn = initialFlushLsn;
    }

    public ulong InitialFlushLsn { get; }

    /// <summary>The position to report as flushed (and applied) in the standby status update.</summary>
    public ulong FlushLsn => Volatile.Read(ref _flushLsn);

    /// <summary>Payload bytes of pushed chunks not yet acknowledged.</summary>
    public long InFlightBytes => Volatile.Read(ref _inFlightBytes);

    /// <summary>Pushed chunks not yet acknowledged.</summary>
    public int PendingChunks
    {
        get
        {
            lock (_gate)
            {
                return _pendingChunks;
            }
        }
    }

    /// <summary>Pushed transactions the flush LSN has not passed yet (including one still being pushed).</summary>
    public int PendingTransactions
    {
        get
        {
            lock (_gate)
            {
                return _ring.Count;
            }
        }
    }

    /// <summary>Whether no pushed transaction waits for acknowledgement.</summary>
    public bool IsIdle => PendingTransactions == 0;

    /// <summary>The lock shared with the ledger so that push, ack and budget checks are one atomic step.</summary>
    internal Lock Gate => _gate;

    internal long InFlightBytesLocked => _inFlightBytes;

    /// <summary>
    /// Completes (with the new flush LSN) as soon as the flush LSN is greater than <paramref name="after"/>, at
    /// once when it already is. Lets the listener send a standby status update right after the position moves.
    /// </summary>
    public ValueTask<ulong> WaitForAdvanceAsync(ulong after, CancellationToken cancellationToken = default)
    {
        Task<ulong> task;
        lock (_gate)
        {
            if (_flushLsn > after)
            {
                return ValueTask.FromResult(_flushLsn);
            }

            // One completion source shared by all waiters of this round; replaced after each advance.
            _advanced ??= new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
            task = _advanced.Task;
        }

        return new ValueTask<ulong>(cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task);
    }

    /// <summary>
    /// Completes as soon as everything pushed is acknowledged, at once when it already is: every chunk
    /// (<see cref="AcknowledgedScope.Chunks"/>: a graceful stop may end then) or every transaction, including the
    /// chunks of one still being pushed (<see cref="AcknowledgedScope.Transactions"/>: a new session resumes after the
    /// last whole one). The "all acknowledged" event a drain waits for, instead of polling the counts.
    /// </summary>
    public Task WaitForAcknowledgedAsync(AcknowledgedScope scope, CancellationToken cancellationToken = default)
    {
        Task task;
        lock (_gate)
        {
            if (IsAcknowledgedLocked(scope))
            {
                return Task.CompletedTask;
            }

            _settled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            task = _settled.Task;
        }

        // Signalled whenever the chunk count or the transaction count reaches zero: look again for this scope.
        return WaitAgainAsync(task, scope, cancellationToken);
    }

    private async Task WaitAgainAsync(Task settled, AcknowledgedScope scope, CancellationToken cancellationToken)
    {
        await settled.WaitAsync(cancellationToken).ConfigureAwait(false);
        await WaitForAcknowledgedAsync(scope, cancellationToken).ConfigureAwait(false);
    }

    private bool IsAcknowledgedLocked(AcknowledgedScope scope)
        => scope == AcknowledgedScope.Chunks ? _pendingChunks == 0 : _ring.Count == 0;

    /// <summary>
    /// On an idle database, lets the flush LSN follow the server's WAL end (from a primary keepalive) so WAL does
    /// not pile up behind the slot. Moves only when <paramref name="upstreamIdle"/> and no pushed transaction is
    /// pending, so it never passes an unacknowledged change.
    /// </summary>
    /// <param name="walEnd">The keepalive's WAL end.</param>
    /// <param name="upstreamIdle">
    /// The listener's word that every transaction it received before this keepalive was pushed (or skipped) and
    /// that no transaction is partly received or waiting between decoder and ledger. Passing true while a
    /// received transaction is not pushed yet would confirm it before delivery.
    /// </param>
    /// <returns>Whether the flush LSN moved.</returns>
    public bool ObserveKeepalive(ulong walEnd, bool upstreamIdle)
    {
        lock (_gate)
        {
            if (!upstreamIdle || _ring.Count != 0 || walEnd <= _flushLsn)
            {
                return false;
            }

            Volatile.Write(ref _flushLsn, walEnd);
            SignalLocked();
            return true;
        }
    }

    /// <summary>Registers a pushed chunk. An empty chunk (a position only) counts as acknowledged at once.</summary>
    internal void RecordPushLocked(Chunk chunk)
    {
        if (_ring.Count == 0 || _ring.Tail.Sequence != chunk.TransactionSequence)
        {
            _ring.Append(chunk.TransactionSequence, chunk.EndLsn);
        }

        ref var progress = ref _ring.Tail;
        if (chunk.Count != 0)
        {
            progress.PendingChunks++;
            _pendingChunks++;
            Volatile.Write(ref _inFlightBytes, _inFlightBytes + chunk.ByteSize);
        }

        if (chunk.IsLastOfTransaction)
        {
            progress.LastChunkPushed = true;
            AdvanceLocked();
        }
    }

    /// <summary>Registers a chunk whose messages are all acknowledged; returns whether its transaction is delivered.</summary>
    internal bool RecordChunkAckedLocked(Chunk chunk)
    {
        ref var progress = ref _ring.Find(chunk.TransactionSequence);
        progress.PendingChunks--;
        _pendingChunks--;
        Volatile.Write(ref _inFlightBytes, _inFlightBytes - chunk.ByteSize);
        if (_pendingChunks == 0)
        {
            SignalSettledLocked();
        }

        if (!progress.IsDelivered)
        {
            return false;
        }

        AdvanceLocked();
        return true;
    }

    private void AdvanceLocked()
    {
        var moved = false;
        while (_ring.Count != 0 && _ring.Head.IsDelivered)
        {
            if (_ring.Head.EndLsn > _flushLsn)
            {
                Volatile.Write(ref _flushLsn, _ring.Head.EndLsn);
                moved = true;
            }

            _ring.RemoveHead();
        }

        if (moved)
        {
            SignalLocked();
        }

        if (_ring.Count == 0)
        {
            SignalSettledLocked();
        }
    }

    private void SignalSettledLocked()
    {
        var settled = _settled;
        _settled = null;
        settled?.TrySetResult();
    }

    private void SignalLocked()
    {
        var advanced = _advanced;
        _advanced = null;

        // Continuations run asynchronously, so completing under the lock runs no foreign code here.
        advanced?.TrySetResult(_flushLsn);
    }
}
