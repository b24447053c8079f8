using System.Diagnostics;
using Cdc.Decoding;
using Cdc.Sink;

namespace Cdc.Listener.Delivery;

/// <summary>
/// Admits chunks in commit order under an in-flight byte budget and turns the sink's acks into LSN progress
/// (<see cref="Tracker"/>). No I/O: the listener pushes a chunk, then writes its messages to the sink; the sink's
/// ack handler calls <see cref="AckMessage"/> (or <see cref="Ack"/> for a whole chunk).
/// </summary>
/// <remarks>
/// Thread-safety: one producer pushes (one push at a time, in order); acks may come from any thread, in any order
/// across chunks and transactions. Per-message acks are lock-free until a chunk completes; push, chunk completion
/// and budget checks share one short lock with the tracker.
/// </remarks>
public sealed partial class DeliveryLedger
{
    private readonly LsnTracker _tracker;
    private readonly long _maxInFlightBytes;

    // Order of what was pushed last (under the tracker's lock).
    private bool _hasPushed;
    private long _lastSequence;
    private ulong _lastEndLsn;
    private ulong _lastCommitLsn;
    private int _nextIndex;
    private bool _lastWasLast;

    private PendingPush? _waiter;
    private Exception? _fault;

    private long _pushedChunks;
    private long _pushedMessages;
    private long _pushedBytes;
    private long _ackedChunks;
    private long _ackedMessages;
    private long _ackedBytes;
    private long _supersededMessages;
    private long _deliveredTransactions;
    private long _duplicateAcks;
    private long _pushWaits;
    private long _pushWaitTicks;

    /// <param name="options">The budget; validated here.</param>
    /// <param name="initialFlushLsn">The slot's confirmed flush position: transactions at or below it are refused.</param>
    public DeliveryLedger(LedgerOptions? options = null, ulong initialFlushLsn = 0)
    {
        options ??= new LedgerOptions();
        options.Validate();
        _maxInFlightBytes = options.MaxInFlightBytes;
        _tracker = new LsnTracker(initialFlushLsn);
    }

    /// <summary>The LSN state this ledger feeds.</summary>
    public LsnTracker Tracker => _tracker;

    public long MaxInFlightBytes => _maxInFlightBytes;

    /// <summary>Whether a push is waiting for budget right now.</summary>
    public bool IsWaiting
    {
        get
        {
            lock (_tracker.Gate)
            {
                return _waiter is not null;
            }
        }
    }

    public LedgerCounters Counters
    {
        get
        {
            lock (_tracker.Gate)
            {
                return new LedgerCounters(
                    _pushedChunks,
                    _pushedMessages,
                    _pushedBytes,
                    _ackedChunks,
                    Interlocked.Read(ref _ackedMessages),
                    _ackedBytes,
                    Interlocked.Read(ref _supersededMessages),
                    _deliveredTransactions,
                    Interlocked.Read(ref _duplicateAcks),
                    _pushWaits,
                    Stopwatch.GetElapsedTime(0, _pushWaitTicks));
            }
        }
    }

    /// <summary>
    /// Whether a transaction the server sends should be dropped before decoding: it is at or below the flush LSN
    /// (confirmed before, e.g. on resume) or was already pushed in full (the server resent it after a reconnect).
    /// </summary>
    public bool ShouldSkip(ulong endLsn)
    {
        lock (_tracker.Gate)
        {
            return endLsn <= _tracker.FlushLsn
                || (_hasPushed && (endLsn < _lastEndLsn || (endLsn == _lastEndLsn && _lastWasLast)));
        }
    }

    /// <summary>
    /// Admits the next chunk, waiting (asynchronously) while the in-flight bytes would exceed the budget. A chunk
    /// is admitted when nothing is in flight whatever its size, so one huge chunk cannot deadlock. A chunk without
    /// messages carries only a position and counts as acknowledged at once.
    /// </summary>
    /// <exception cref="ChunkOrderException">The chunk does not follow the previous one in commit order.</exception>
    /// <exception cref="InvalidOperationException">The chunk was pushed before, or another push is still waiting.</exception>
    /// <exception cref="DeliveryException">The pipeline was failed by <see cref="Fail"/>.</exception>
    public ValueTask PushAsync(Chunk chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        PendingPush? waiter = null;
        var admitted = false;
        lock (_tracker.Gate)
        {
            if (_fault is not null)
            {
                throw Failed(_fault);
            }

            if (_waiter is not null)
            {
                throw new InvalidOperationException(
                    "PushAsync was called while an earlier push still waits for budget; push one chunk at a time, in order.");
            }

            ValidateOrderLocked(chunk);
            if (CanAdmitLocked(chunk.ByteSize))
            {
                AdmitLocked(chunk);
                admitted = true;
            }
            else
            {
                waiter = new PendingPush(this, chunk, Stopwatch.GetTimestamp());
                _waiter = waiter;
                _pushWaits++;
            }
        }

        if (admitted)
        {
            // An empty chunk is complete once pushed: no ack will release its buffers.
            if (chunk.Count == 0)
            {
                chunk.ReleaseBuffers();
            }

            return default;
        }

        return WaitForAdmissionAsync(waiter!, cancellationToken);
    }

    /// <summary>
    /// Marks every message of the chunk delivered (use <see cref="AckMessage"/> when the sink acks one by one).
    /// </summary>
    /// <returns>Whether this ack completed the chunk's transaction (all its chunks, including the last, acknowledged).</returns>
    /// <exception cref="DuplicateAckException">The chunk was already fully acknowledged (also for an empty chunk).</exception>
    public bool Ack(Chunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        EnsurePushed(chunk);
        var outcome = chunk.AckAll(out var newlyAcked);
        if (outcome == ChunkAckOutcome.Duplicate)
        {
            throw Duplicate(chunk, "chunk");
        }

        Interlocked.Add(ref _ackedMessages, newlyAcked);
        return outcome == ChunkAckOutcome.Completed && CompleteChunk(chunk);
    }

    /// <summary>
    /// Marks one message delivered; its <see cref="OutboundMessage.State"/> must be its <see cref="Chunk"/>.
    /// </summary>
    /// <returns>Whether this ack completed the message's transaction.</returns>
    /// <exception cref="DuplicateAckException">The message was already acknowledged or superseded.</exception>
    public bool AckMessage(OutboundMessage message) => Settle(message, superseded: false);

    /// <summary>
    /// Accounts a message the dedupe buffer dropped in favour of a later change of the same key as delivered
    /// (see <see cref="DedupeBuffer"/> for why the flush LSN stays safe).
    /// </summary>
    /// <returns>Whether this completed the message's transaction.</returns>
    public bool MarkSuperseded(OutboundMessage message) => Settle(message, superseded: true);

    /// <summary>Stops the ledger after a permanent sink failure: a waiting push and every later push throw.</summary>
    public void Fail(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_tracker.Gate)
        {
            _fault ??= error;
            var waiter = _waiter;
            _waiter = null;
            waiter?.Completion.TrySetException(Failed(_fault));
        }
    }

    private static DeliveryException Failed(Exception fault)
        => new("The sink failed permanently; no more chunks are accepted.", fault);

    private static void EnsurePushed(Chunk chunk)
    {
        if (!chunk.IsPushed)
        {
            throw new InvalidOperationException("Only a pushed chunk can be acknowledged.");
        }
    }

    private bool Settle(OutboundMessage message, bool superseded)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.State is not Chunk chunk)
        {
            throw new ArgumentException("The message's State is not the Chunk it was pushed in.", nameof(message));
        }

        EnsurePushed(chunk);
        var index = chunk.IndexOf(message);
        if (index < 0)
        {
            throw new ArgumentException("The message is not one of its chunk's messages.", nameof(message));
        }

        var outcome = chunk.AckOne(index);
        if (outcome == ChunkAckOutcome.Duplicate)
        {
            throw Duplicate(chunk, superseded ? "superseded message" : "message " + message.MessageId);
        }

        Interlocked.Increment(ref superseded ? ref _supersededMessages : ref _ackedMessages);
        var completed = outcome == ChunkAckOutcome.Completed && CompleteChunk(chunk);
        return SettleCarried(message) | completed;
    }

    private DuplicateAckException Duplicate(Chunk chunk, string what)
    {
        Interlocked.Increment(ref _duplicateAcks);
        return new DuplicateAckException(
            $"Second ack of a {what} in the chunk of transaction {chunk.TransactionSequence} (end LSN {new Lsn(chunk.EndLsn)}) "
            + $"starting at index {chunk.FirstIndex}: the sink must report each message exactly once.");
    }

    private bool CompleteChunk(Chunk chunk)
    {
        bool delivered;
        lock (_tracker.Gate)
        {
            delivered = _tracker.RecordChunkAckedLocked(chunk);
            _ackedChunks++;
            _ackedBytes += chunk.ByteSize;
            if (delivered)
            {
                _deliveredTransactions++;
            }

            var waiter = _waiter;
            if (waiter is not null && CanAdmitLocked(waiter.Chunk.ByteSize))
            {
                _waiter = null;
                AdmitLocked(waiter.Chunk);
                _pushWaitTicks += Stopwatch.GetTimestamp() - waiter.StartedAt;
                waiter.Completion.TrySetResult();
            }
        }

        chunk.ReleaseBuffers();
        return delivered;
    }

    private bool CanAdmitLocked(long byteSize)
    {
        var inFlight = _tracker.InFlightBytesLocked;
        return byteSize == 0 || inFlight == 0 || inFlight + byteSize <= _maxInFlightBytes;
    }

    private void AdmitLocked(Chunk chunk)
    {
        chunk.MarkPushed();
        _tracker.RecordPushLocked(chunk);
        _hasPushed = true;
        _lastSequence = chunk.TransactionSequence;
        _lastEndLsn = chunk.EndLsn;
        _lastCommitLsn = chunk.CommitLsn;
        _nextIndex = chunk.FirstIndex + chunk.Count;
        _lastWasLast = chunk.IsLastOfTransaction;
        _pushedChunks++;
        _pushedMessages += chunk.Count;
        _pushedBytes += chunk.ByteSize;
    }

    private void ValidateOrderLocked(Chunk chunk)
    {
        if (chunk.IsPushed)
        {
            throw new InvalidOperationException("The chunk was already pushed.");
        }

        if (!_hasPushed || _lastWasLast)
        {
            if (_hasPushed && chunk.TransactionSequence != _lastSequence + 1)
            {
                throw new ChunkOrderException(
                    $"Transaction {chunk.TransactionSequence} was pushed after transaction {_lastSequence}; expected {_lastSequence + 1}.");
            }

            if (chunk.FirstIndex != 0)
            {
                throw new ChunkOrderException(
                    $"The first chunk of transaction {chunk.TransactionSequence} starts at index {chunk.FirstIndex}, not 0.");
            }

            if (_hasPushed && chunk.EndLsn <= _lastEndLsn)
            {
                throw new ChunkOrderException(
                    $"Transaction {chunk.TransactionSequence} ends at {new Lsn(chunk.EndLsn)}, not after the previous one ({new Lsn(_lastEndLsn)}).");
            }

            if (chunk.EndLsn <= _tracker.FlushLsn)
            {
                throw new ChunkOrderException(
                    $"Transaction {chunk.TransactionSequence} ends at {new Lsn(chunk.EndLsn)}, at or below the confirmed flush LSN "
                    + $"{new Lsn(_tracker.FlushLsn)}; it must be skipped (see ShouldSkip).");
            }

            return;
        }

        if (chunk.TransactionSequence != _lastSequence)
        {
            throw new ChunkOrderException(
                $"Transaction {chunk.TransactionSequence} was pushed before the last chunk of transaction {_lastSequence}.");
        }

        if (chunk.EndLsn != _lastEndLsn || chunk.CommitLsn != _lastCommitLsn)
        {
            throw new ChunkOrderException(
                $"A chunk of transaction {chunk.TransactionSequence} has LSNs {new Lsn(chunk.CommitLsn)}/{new Lsn(chunk.EndLsn)} "
                + $"unlike its earlier chunks ({new Lsn(_lastCommitLsn)}/{new Lsn(_lastEndLsn)}).");
        }

        if (chunk.FirstIndex != _nextIndex)
        {
            throw new ChunkOrderException(
                $"A chunk of transaction {chunk.TransactionSequence} starts at index {chunk.FirstIndex}; expected {_nextIndex}.");
        }
    }

    private async ValueTask WaitForAdmissionAsync(PendingPush waiter, CancellationToken cancellationToken)
    {
        var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static (state, token) => ((PendingPush)state!).Cancel(token), waiter)
            : default;
        try
        {
            await waiter.Completion.Task.ConfigureAwait(false);
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void CancelWaiter(PendingPush waiter, CancellationToken cancellationToken)
    {
        lock (_tracker.Gate)
        {
            // Only a push still waiting is cancelled; one admitted in the meantime stands.
            if (!ReferenceEquals(_waiter, waiter))
            {
                return;
            }

            _waiter = null;
            _pushWaitTicks += Stopwatch.GetTimestamp() - waiter.StartedAt;
            waiter.Completion.TrySetCanceled(cancellationToken);
        }
    }

    private sealed class PendingPush(DeliveryLedger owner, Chunk chunk, long startedAt)
    {
        public Chunk Chunk { get; } = chunk;

        public long StartedAt { get; } = startedAt;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Cancel(CancellationToken cancellationToken) => owner.CancelWaiter(this, cancellationToken);
    }
}
