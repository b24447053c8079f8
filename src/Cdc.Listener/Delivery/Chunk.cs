using System.Buffers;
using System.Numerics;
using Cdc.Sink;

namespace Cdc.Listener.Delivery;

/// <summary>
/// A run of consecutive messages of one transaction, the unit of the in-flight budget and of LSN progress.
/// </summary>
/// <remarks>
/// The listener creates a chunk, adds its messages (each with <see cref="OutboundMessage.State"/> set to the chunk
/// so the sink's ack finds it), then pushes it. The sink acknowledges messages one by one; the chunk counts the
/// outstanding ones (one bit per message, so a repeated ack of the same message is detected exactly) and is
/// acknowledged when all are in. Payload buffers rented from an <see cref="ArrayPool{T}"/> are owned by the chunk
/// and returned after its last ack: payloads must not be touched after that.
/// </remarks>
public sealed class Chunk
{
    private const int Building = 0;
    private const int Pushed = 1;
    private const int Completed = 2;

    private OutboundMessage[] _messages;
    private int _count;
    private long _byteSize;
    private int _state;

    // Ack bits: the first 64 messages inline so the common chunk needs no extra array.
    private ulong _ackedInline;
    private ulong[]? _ackedMore;
    private int _outstanding;
    private int _ackHint;

    private List<(byte[] Buffer, ArrayPool<byte> Pool)>? _rented;

    /// <param name="transactionSequence">Position of the transaction in the pushed stream: consecutive, +1 per transaction.</param>
    /// <param name="commitLsn">The transaction's commit LSN (informational).</param>
    /// <param name="endLsn">The transaction's commit end LSN: what the flush LSN becomes once it is delivered.</param>
    /// <param name="firstIndex">0-based index, among the transaction's messages, of this chunk's first message.</param>
    /// <param name="isLastOfTransaction">Whether no chunk of this transaction follows.</param>
    /// <param name="capacity">Expected number of messages.</param>
    public Chunk(long transactionSequence, ulong commitLsn, ulong endLsn, int firstIndex, bool isLastOfTransaction, int capacity = 8)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(transactionSequence);
        ArgumentOutOfRangeException.ThrowIfNegative(firstIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        TransactionSequence = transactionSequence;
        CommitLsn = commitLsn;
        EndLsn = endLsn;
        FirstIndex = firstIndex;
        IsLastOfTransaction = isLastOfTransaction;
        _messages = capacity == 0 ? [] : new OutboundMessage[capacity];
    }

    public long TransactionSequence { get; }

    public ulong CommitLsn { get; }

    public ulong EndLsn { get; }

    public int FirstIndex { get; }

    public bool IsLastOfTransaction { get; }

    /// <summary>Number of messages.</summary>
    public int Count => _count;

    /// <summary>Sum of the payload lengths: what the chunk weighs in the in-flight budget.</summary>
    public long ByteSize => _byteSize;

    /// <summary>The messages in order.</summary>
    public ReadOnlyMemory<OutboundMessage> Messages => _messages.AsMemory(0, _count);

    public OutboundMessage this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            return _messages[index];
        }
    }

    /// <summary>Messages pushed and neither acknowledged nor superseded yet.</summary>
    public int OutstandingAcks => Volatile.Read(ref _outstanding);

    /// <summary>Whether every message was acknowledged (or superseded).</summary>
    public bool IsAcknowledged => Volatile.Read(ref _state) == Completed;

    internal bool IsPushed => Volatile.Read(ref _state) != Building;

    /// <summary>Appends a message; only before the chunk is pushed.</summary>
    public void Add(OutboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_state != Building)
        {
            throw new InvalidOperationException("A chunk cannot change after it was pushed.");
        }

        if (_count == _messages.Length)
        {
            Array.Resize(ref _messages, Math.Max(4, _count * 2));
        }

        _messages[_count++] = message;
        _byteSize += message.Payload.Length;
    }

    /// <summary>Hands a rented buffer (holding payloads of this chunk) to the chunk, which returns it after its last ack.</summary>
    public void AddRentedBuffer(byte[] buffer, ArrayPool<byte>? pool = null)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (_state == Completed)
        {
            throw new InvalidOperationException("The chunk was already acknowledged and released.");
        }

        (_rented ??= []).Add((buffer, pool ?? ArrayPool<byte>.Shared));
    }

    /// <summary>Freezes the messages and arms the ack bits. Called under the ledger's lock.</summary>
    internal void MarkPushed()
    {
        if (_count > 64)
        {
            _ackedMore = new ulong[(_count - 1) / 64];
        }

        _outstanding = _count;
        Volatile.Write(ref _state, _count == 0 ? Completed : Pushed);
    }

    /// <summary>Position of a message of this chunk, by reference; acks usually come in order, so the hint hits.</summary>
    internal int IndexOf(OutboundMessage message)
    {
        var hint = Volatile.Read(ref _ackHint);
        if ((uint)hint < (uint)_count && ReferenceEquals(_messages[hint], message))
        {
            Volatile.Write(ref _ackHint, hint + 1);
            return hint;
        }

        // Out of order: find it, and resume the hint after it so that the acks that follow in order hit again.
        var found = Array.IndexOf(_messages, message, 0, _count);
        if (found >= 0)
        {
            Volatile.Write(ref _ackHint, found + 1);
        }

        return found;
    }

    /// <summary>
    /// Puts <paramref name="replacement"/> (the same change, re-encoded by the dedupe buffer) in the place of a
    /// pushed message that was neither sent nor acknowledged yet: its ack then settles that place.
    /// </summary>
    internal void Replace(OutboundMessage message, OutboundMessage replacement)
    {
        var index = Array.IndexOf(_messages, message, 0, _count);
        if (index < 0 || !ReferenceEquals(replacement.State, this))
        {
            throw new ArgumentException("The message is not one of this chunk's messages, or its replacement names another chunk.", nameof(message));
        }

        Volatile.Write(ref _messages[index], replacement);
    }

    /// <summary>Records the ack of one message. Lock-free: each bit is flipped by exactly one caller.</summary>
    internal ChunkAckOutcome AckOne(int index)
    {
        var mask = 1UL << (index & 63);
        ref var word = ref Word(index >> 6);
        var before = Interlocked.Or(ref word, mask);
        if ((before & mask) != 0)
        {
            return ChunkAckOutcome.Duplicate;
        }

        return Settle(1);
    }

    /// <summary>Records the ack of every message not acknowledged yet.</summary>
    internal ChunkAckOutcome AckAll(out int newlyAcked)
    {
        newlyAcked = 0;
        var words = (_count + 63) >> 6;
        for (var i = 0; i < words; i++)
        {
            var bits = i == words - 1 && (_count & 63) != 0 ? (1UL << (_count & 63)) - 1 : ulong.MaxValue;
            var before = Interlocked.Or(ref Word(i), bits);
            newlyAcked += BitOperations.PopCount(bits & ~before);
        }

        return newlyAcked == 0 ? ChunkAckOutcome.Duplicate : Settle(newlyAcked);
    }

    /// <summary>Returns the rented buffers; called once, after the chunk completed.</summary>
    internal void ReleaseBuffers()
    {
        var rented = Interlocked.Exchange(ref _rented, null);
        if (rented is null)
        {
            return;
        }

        foreach (var (buffer, pool) in rented)
        {
            pool.Return(buffer);
        }
    }

    private ChunkAckOutcome Settle(int acked)
    {
        if (Interlocked.Add(ref _outstanding, -acked) != 0)
        {
            return ChunkAckOutcome.Partial;
        }

        Volatile.Write(ref _state, Completed);
        return ChunkAckOutcome.Completed;
    }

    private ref ulong Word(int word) => ref word == 0 ? ref _ackedInline : ref _ackedMore![word - 1];
}
