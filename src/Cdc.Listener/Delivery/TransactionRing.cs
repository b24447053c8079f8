namespace Cdc.Listener.Delivery;

/// <summary>
/// The pushed, not yet flushed transactions in commit order: a growable ring indexed by transaction sequence
/// (consecutive, so a lookup is one subtraction). Not thread-safe: used under the tracker's lock.
/// </summary>
internal sealed class TransactionRing
{
    private TransactionProgress[] _items = new TransactionProgress[16];
    private int _head;
    private int _count;

    public int Count => _count;

    public ref TransactionProgress Head => ref _items[_head];

    public ref TransactionProgress Tail => ref _items[(_head + _count - 1) & (_items.Length - 1)];

    public void Append(long sequence, ulong endLsn)
    {
        if (_count > 0 && sequence != Tail.Sequence + 1)
        {
            throw new InvalidOperationException($"Transaction sequence {sequence} does not follow {Tail.Sequence}.");
        }

        if (_count == _items.Length)
        {
            Grow();
        }

        _items[(_head + _count) & (_items.Length - 1)] = new TransactionProgress { Sequence = sequence, EndLsn = endLsn };
        _count++;
    }

    /// <summary>The transaction with this sequence, which must be in the ring.</summary>
    public ref TransactionProgress Find(long sequence)
    {
        var offset = _count == 0 ? -1 : sequence - _items[_head].Sequence;
        if (offset < 0 || offset >= _count)
        {
            throw new InvalidOperationException($"Transaction sequence {sequence} is not pending.");
        }

        return ref _items[(_head + (int)offset) & (_items.Length - 1)];
    }

    public void RemoveHead()
    {
        _items[_head] = default;
        _head = (_head + 1) & (_items.Length - 1);
        _count--;
    }

    private void Grow()
    {
        var bigger = new TransactionProgress[_items.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            bigger[i] = _items[(_head + i) & (_items.Length - 1)];
        }

        _items = bigger;
        _head = 0;
    }
}
