namespace Cdc.Sink;

/// <summary>Root of every error raised by the sink. <see cref="IsTransient"/> drives retry.</summary>
public class SinkException : Exception
{
    public SinkException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>True when retrying (after a reconnect or a delay) can succeed.</summary>
    public virtual bool IsTransient => false;
}

/// <summary>A bad option value: the message names the key and the accepted range.</summary>
public sealed class SinkConfigurationException : SinkException
{
    public SinkConfigurationException(string key, string problem)
        : base($"{key}: {problem}")
    {
        Key = key;
    }

    public string Key { get; }
}

/// <summary>A message larger than the server's max_payload (never dropped silently).</summary>
public sealed class MessageTooLargeException : SinkException
{
    public MessageTooLargeException(string subject, long size, long maxPayload)
        : base($"message for '{subject}' is {size} bytes (headers and payload), larger than the server's max_payload of {maxPayload} bytes")
    {
        Subject = subject;
        Size = size;
        MaxPayload = maxPayload;
    }

    public string Subject { get; }

    public long Size { get; }

    public long MaxPayload { get; }
}

/// <summary>A message the sink cannot put on the wire (a subject, message id or header NATS does not allow).</summary>
public sealed class InvalidMessageException : SinkException
{
    public InvalidMessageException(string messageId, string subject, ArgumentException problem)
        : base($"message {messageId} for '{subject}' cannot be published: {problem.Message}", problem)
    {
        Subject = subject;
    }

    public string Subject { get; }
}

/// <summary>
/// The sink was disposed before the message was acknowledged: it may or may not be stored. Transient: a
/// replay with the same message id is stored once.
/// </summary>
public sealed class SinkStoppedException : SinkException
{
    public SinkStoppedException(string messageId)
        : base($"the sink stopped before message {messageId} was acknowledged")
    {
    }

    public override bool IsTransient => true;
}

/// <summary>The NATS server cannot be reached (connect, TLS or auth failed); retrying later may succeed.</summary>
public sealed class SinkConnectionException : SinkException
{
    public SinkConnectionException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public override bool IsTransient => true;
}
