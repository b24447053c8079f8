namespace Cdc.Consumer;

/// <summary>The root of every error the consumer library raises itself.</summary>
public class CdcConsumerException : Exception
{
    public CdcConsumerException(string message)
        : base(message)
    {
    }

    public CdcConsumerException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}

/// <summary>A message of the stream is not a Cdc event (wrong subject or payload).</summary>
public sealed class CdcDecodeException(string message, Exception? inner = null) : CdcConsumerException(message, inner);

/// <summary>
/// The handler kept failing on an event and the error policy is <see cref="Errors.ErrorPolicy.Stop"/>: the consumer stopped
/// with its cursor before that event.
/// </summary>
public sealed class CdcHandlerFailedException(string message, ulong streamSequence, Exception inner)
    : CdcConsumerException(message, inner)
{
    /// <summary>The event the handler failed on.</summary>
    public ulong StreamSequence { get; } = streamSequence;
}

/// <summary>Another instance of the same consumer moved the cursor: this one must stop (its last effects were rolled back).</summary>
public sealed class CdcCursorConflictException(string message) : CdcConsumerException(message);

/// <summary>
/// The consumer's cursor is past the stream's last sequence: the stream was recreated (sequences start again at 1) or
/// its sequence was reset. Reading on would silently pass over every event below the cursor, so the consumer refuses.
/// </summary>
public sealed class CdcCursorAheadOfStreamException(string message, ulong cursor, ulong streamLastSequence) : CdcConsumerException(message)
{
    public ulong Cursor { get; } = cursor;

    public ulong StreamLastSequence { get; } = streamLastSequence;
}
