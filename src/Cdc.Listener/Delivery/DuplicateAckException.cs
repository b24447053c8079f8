namespace Cdc.Listener.Delivery;

/// <summary>
/// A chunk (or one of its messages) was acknowledged a second time. The sink reports each message exactly once,
/// so this means broken bookkeeping somewhere; it is counted and surfaced, never ignored, because a silently
/// repeated ack could have stood in for a message that was never stored.
/// </summary>
public sealed class DuplicateAckException : DeliveryException
{
    public DuplicateAckException(string message)
        : base(message)
    {
    }

    public DuplicateAckException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DuplicateAckException()
    {
    }
}
