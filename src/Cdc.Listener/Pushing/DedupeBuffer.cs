using System.Diagnostics.CodeAnalysis;
using Cdc.Sink;

namespace Cdc.Listener.Pushing;

/// <summary>
/// Optional overload mode between the pusher and the sink: a FIFO of messages waiting to be sent that keeps only
/// the newest pending change per row key, so while the sink lags memory is bounded by the number of distinct keys
/// and consumers skip straight to each row's latest state.
/// </summary>
/// <remarks>
/// <para>
/// Use: push a chunk, <see cref="Add"/> its messages (with the row key, or none for truncates, schema and logical
/// messages, which are never dropped); a sender loop <see cref="TakeAsync"/>s and writes to the sink; the sink's
/// acks go to <see cref="ChunkPusher.AckMessage"/> as usual. When a keyed message arrives while an older message
/// of the same key is still pending (not yet taken), the older one is dropped and the new one goes to the tail —
/// not into the old slot, so it stays behind anything queued meanwhile (a truncate of the same table, say).
/// The dropped message is accounted as delivered at once via <see cref="ChunkPusher.MarkSuperseded"/>, which
/// frees its bytes and lets its transaction complete.
/// </para>
/// <para>
/// LSN guarantee. The flush LSN passes a transaction T only when each of T's changes was acknowledged by the
/// broker or superseded by a later change of the same key that was pushed after it. The superseding change
/// belongs to T or to a later transaction U. If T, T itself waits for it. If U, U is not delivered while that
/// change is pending, so the flush LSN stays below U and a restart replays U with that change (or, by the same
/// argument applied again, with a still later change of the key that superseded it). Hence at every moment, for
/// every key, the newest change at or below the flush LSN is in the broker or a newer change of that key lies
/// above the flush LSN and will be replayed: after a crash and replay, each key ends at its latest state.
/// Consumers may miss intermediate versions of a row (that is the point), never the latest one, and must treat
/// a change as "the row's state now" (an insert may follow a dropped delete, and so on). The broker stores a
/// key's surviving changes in commit order, because a message is only ever dropped in favour of a later one
/// appended behind it.
/// </para>
/// <para>Thread-safe: one producer adds, any number of senders take.</para>
/// </remarks>
public sealed class DedupeBuffer
{
    private readonly ChunkPusher _pusher;
    private readonly Lock _gate = new();
    private readonly Dictionary<DedupeKey, Node> _byKey = [];
    private Node? _head;
    private Node? _tail;
    private Node? _free;
    private int _count;
    private long _superseded;
    private TaskCompletionSource? _available;

    public DedupeBuffer(ChunkPusher pusher)
    {
        ArgumentNullException.ThrowIfNull(pusher);
        _pusher = pusher;
    }

    /// <summary>Messages waiting to be taken.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Messages dropped because a later change of their key arrived first.</summary>
    public long SupersededCount => Interlocked.Read(ref _superseded);

    /// <summary>
    /// Queues a message of a pushed chunk. With a key, an older pending message of the same key is dropped and
    /// accounted as delivered.
    /// </summary>
    public void Add(OutboundMessage message, DedupeKey? key)
    {
        ArgumentNullException.ThrowIfNull(message);
        OutboundMessage? superseded = null;
        lock (_gate)
        {
            if (key is { } k && _byKey.Remove(k, out var old))
            {
                superseded = old.Message;
                Unlink(old);
                Recycle(old);
            }

            var node = _free ?? new Node();
            _free = node.Next;
            node.Message = message;
            node.Key = key;
            node.Next = null;
            node.Previous = _tail;
            if (_tail is null)
            {
                _head = node;
            }
            else
            {
                _tail.Next = node;
            }

            _tail = node;
            _count++;
            if (key is { } added)
            {
                _byKey.Add(added, node);
            }

            var available = _available;
            _available = null;
            available?.TrySetResult();
        }

        if (superseded is not null)
        {
            Interlocked.Increment(ref _superseded);

            // Outside the lock: completing a transaction takes the pusher's lock and may wake the producer.
            _pusher.MarkSuperseded(superseded);
        }
    }

    /// <summary>Takes the oldest pending message, if any.</summary>
    public bool TryTake([NotNullWhen(true)] out OutboundMessage? message)
    {
        lock (_gate)
        {
            return TryTakeLocked(out message);
        }
    }

    /// <summary>Takes the oldest pending message, waiting for one.</summary>
    public async ValueTask<OutboundMessage> TakeAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task ready;
            lock (_gate)
            {
                if (TryTakeLocked(out var message))
                {
                    return message;
                }

                _available ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                ready = _available.Task;
            }

            await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool TryTakeLocked([NotNullWhen(true)] out OutboundMessage? message)
    {
        var node = _head;
        if (node is null)
        {
            message = null;
            return false;
        }

        message = node.Message!;
        if (node.Key is { } key)
        {
            _byKey.Remove(key);
        }

        Unlink(node);
        Recycle(node);
        return true;
    }

    private void Unlink(Node node)
    {
        if (node.Previous is null)
        {
            _head = node.Next;
        }
        else
        {
            node.Previous.Next = node.Next;
        }

        if (node.Next is null)
        {
            _tail = node.Previous;
        }
        else
        {
            node.Next.Previous = node.Previous;
        }

        _count--;
    }

    private void Recycle(Node node)
    {
        node.Message = null;
        node.Key = null;
        node.Previous = null;
        node.Next = _free;
        _free = node;
    }

    private sealed class Node
    {
        public OutboundMessage? Message;
        public DedupeKey? Key;
        public Node? Previous;
        public Node? Next;
    }
}
