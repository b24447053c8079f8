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
