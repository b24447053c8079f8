namespace Cdc.Sink;

/// <summary>
/// Reply token -> message, for PubAck routing: a ring indexed by token (tokens increase by one per publish), so a
/// lookup is an array read and a compare-and-swap, with nothing allocated per publish. A slot keeps the latest
/// token mapped to it; a token still unanswered when the ring has gone round (more publishes than slots since)
/// loses its slot, and its message gets the ack timeout and a republish, as for a lost PubAck.
/// </summary>
internal sealed class TokenTable
{
    private readonly PendingMessage?[] _slots;
    private readonly long _mask;

    public TokenTable(int capacity)
    {
        var size = 1024;
        while (size < capacity * 4L)
        {
            size *= 2;
        }

        _slots = new PendingMessage?[size];
        _mask = size - 1;
    }

    /// <summary>Maps <paramref name="token"/> (already set as the message's <see cref="PendingMessage.Token"/>) to the message.</summary>
    public void Add(long token, PendingMessage message) => Volatile.Write(ref _slots[token & _mask], message);

    /// <summary>Takes the message of <paramref name="token"/>: once, and only while the token is its latest publish.</summary>
    public bool TryRemove(long token, out PendingMessage message)
    {
        ref var slot = ref _slots[token & _mask];
        var current = Volatile.Read(ref slot);
        if (current is not null && current.Token == token && Interlocked.CompareExchange(ref slot, null, current) == current)
        {
            message = current;
            return true;
        }

        message = null!;
        return false;
    }
}
