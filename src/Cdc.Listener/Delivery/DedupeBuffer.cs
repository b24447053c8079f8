using System.Diagnostics.CodeAnalysis;
using Cdc.Sink;

namespace Cdc.Listener.Delivery;

/// <summary>
/// Optional overload mode between the ledger and the sink: a FIFO of messages waiting to be sent that keeps only
/// the newest pending change per row key, so while the sink lags memory is bounded by the number of distinct keys
/// and consumers skip straight to each row's latest state.
/// </summary>
/// <remarks>
/// <para>
/// Use: push a chunk, <see cref="Add"/> its messages (with the row key, or none for truncates, schema and logical
/// messages, which are never dropped); a sender loop <see cref="TakeAsync"/>s and writes to the sink; the sink's
/// acks go to <see cref="DeliveryLedger.AckMessage"/> as usual. When a keyed message arrives while an older message
/// of the same key is still pending (not yet taken), the older one is dropped and the new one goes to the tail —
/// not into the old slot, so it stays behind anything queued meanwhile (a truncate of the same table, say).
/// The dropped message is accounted as delivered at once via <see cref="DeliveryLedger.MarkSuperseded"/>, which
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
/// <para>
/// What a dropped change held is never lost: a change that left TOASTed columns out takes their values from the
/// change it drops (and that change counts as delivered only once the survivor is acknowledged, so a replay
/// cannot bring back the survivor without them); an update that changed the row's key drops the pending change
/// of the old key but is itself never dropped, since it is how consumers learn the old key is gone; a change whose
/// key cannot be told (key columns sent as unchanged TOAST) is never coalesced and stops every pending change of
/// its table from being dropped.
/// </para>
/// <para>Thread-safe: one producer adds, any number of senders take.</para>
/// </remarks>
public sealed class DedupeBuffer
{
    private readonly DeliveryLedger _ledger;
    private readonly Lock _gate = new();
    private readonly Dictionary<(DedupeKey Key, int Epoch), Node> _byKey = [];
    private readonly Dictionary<string, int> _epochs = new(StringComparer.Ordinal);
    private Node? _head;
    private Node? _tail;
    private Node? _free;
    private int _count;
    private long _superseded;
    private TaskCompletionSource? _available;

    public DedupeBuffer(DeliveryLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        _ledger = ledger;
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
        => Add(message, key is { } k ? DedupeRow.Keyed(k) : DedupeRow.None);

    /// <summary>
    /// Queues a message of a pushed chunk. An older pending change of the row (under <see cref="DedupeRow.Key"/>, or
    /// <see cref="DedupeRow.PreviousKey"/> for an update that moved the row) is dropped and accounted as delivered;
    /// when the new change left TOASTed columns out, it takes their values from the dropped one.
    /// </summary>
    public void Add(OutboundMessage message, DedupeRow row)
    {
        ArgumentNullException.ThrowIfNull(message);
        OutboundMessage? superseded = null;
        lock (_gate)
        {
            if (row.UndeterminedTable is { } fenced)
            {
                // Which row this is cannot be told: no pending change of the table may be dropped from now on.
                _epochs[fenced] = EpochOf(fenced) + 1;
            }

            // The older change of this row: under the key it had before, for an update that moved it.
            var lookup = row.PreviousKey ?? row.Key;
            if (lookup is { } k && _byKey.Remove(Versioned(k), out var old))
            {
                var merged = row.HasUnchangedToast ? DedupeBufferMerge.FillUnchanged(old.Message!, message) : null;
                if (merged is null)
                {
                    superseded = old.Message;
                }
                else
                {
                    // The survivor now holds values only the dropped change had: that change counts as delivered
                    // only with it (registered before the survivor can be taken, so before it can be acked).
                    ((Chunk)message.State!).Replace(message, merged);
                    _ledger.MarkSuperseded(old.Message!, merged);
                    message = merged;
                    Interlocked.Increment(ref _superseded);
                }

                Unlink(old);
                Recycle(old);
            }

            if (row.PreviousKey is not null && row.Key is { } moved && _byKey.Remove(Versioned(moved), out var other))
            {
                // A pending change of another row that had the new key (deleted or moved away before): kept.
                other.Key = null;
            }

            var node = _free ?? new Node();
            _free = node.Next;
            node.Message = message;

            // An update that moved the row is never dropped: it is how consumers learn that the old key is gone.
            node.Key = row.PreviousKey is null && row.Key is { } added ? Versioned(added) : null;
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
            if (node.Key is { } registered)
            {
                _byKey.Add(registered, node);
            }

            var available = _available;
            _available = null;
            available?.TrySetResult();
        }

        if (superseded is not null)
        {
            Interlocked.Increment(ref _superseded);

            // Outside the lock: completing a transaction takes the ledger's lock and may wake the producer.
            _ledger.MarkSuperseded(superseded);
        }
    }

    /// <summary>The key as the index holds it: with its table's fence count, so fenced entries are never found again.</summary>
    private (DedupeKey Key, int Epoch) Versioned(DedupeKey key) => (key, EpochOf(key.Table));

    private int EpochOf(string table) => _epochs.Count == 0 ? 0 : _epochs.GetValueOrDefault(table);

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
        if (node.Key is { } key && _byKey.TryGetValue(key, out var indexed) && indexed == node)
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
        public (DedupeKey Key, int Epoch)? Key;
        public Node? Previous;
        public Node? Next;
    }
}
