namespace Cdc.Listener.Delivery;

/// <summary>
/// A chunk was pushed out of commit order (a gap or repeat in transaction sequence or change index, a
/// transaction started before the previous one ended, a position at or below the confirmed flush LSN).
/// </summary>
public sealed class ChunkOrderException : DeliveryException
{
    public ChunkOrderException(string message)
        : base(message)
    {
    }

    public ChunkOrderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ChunkOrderException()
    {
    }
}
