namespace Cdc.Decoding;

/// <summary>
/// A malformed, truncated or unexpected pgoutput message. Names the LSN of the message (0/0 when the
/// server sent none), the message type byte and the offset inside the message where decoding stopped.
/// Not transient: the same bytes fail the same way again.
/// </summary>
public sealed class PgOutputException : Exception
{
    public PgOutputException()
    {
    }

    public PgOutputException(string message)
        : base(message)
    {
    }

    public PgOutputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PgOutputException(string detail, Lsn lsn, byte messageType, long offset)
        : base(Format(detail, lsn, messageType, offset))
    {
        Lsn = lsn;
        MessageType = messageType;
        Offset = offset;
        Detail = detail;
    }

    public Lsn Lsn { get; }

    /// <summary>The message type byte (e.g. <c>(byte)'I'</c>), 0 when the message was empty.</summary>
    public byte MessageType { get; }

    /// <summary>Byte offset inside the message where the problem was found.</summary>
    public long Offset { get; }

    public string? Detail { get; }

    private static string Format(string detail, Lsn lsn, byte messageType, long offset)
    {
        var type = messageType is >= 0x20 and < 0x7F ? $"'{(char)messageType}'" : $"0x{messageType:X2}";
        return $"Malformed pgoutput message {type} at LSN {lsn}, offset {offset}: {detail}";
    }
}
