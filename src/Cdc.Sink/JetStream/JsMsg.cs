using Cdc.Sink.Nats;

namespace Cdc.Sink.JetStream;

/// <summary>A message pulled from a consumer, with its ack metadata and the ack operations.</summary>
public sealed class JsMsg
{
    private readonly NatsConnection _connection;

    internal JsMsg(NatsConnection connection, NatsMsg message)
    {
        _connection = connection;
        Message = message;
        Metadata = AckMetadata.Parse(message.ReplyTo ?? throw new JetStreamException(500, 0, "pulled message has no ack subject"));
    }

    public NatsMsg Message { get; }

    public string Subject => Message.Subject;

    public NatsHeaders? Headers => Message.Headers;

    public ReadOnlyMemory<byte> Data => Message.Data;

    public AckMetadata Metadata { get; }

    /// <summary>Acknowledges; with <paramref name="confirm"/> waits until the server confirms it.</summary>
    public async Task AckAsync(bool confirm = false, CancellationToken cancellationToken = default)
    {
        if (confirm)
        {
            await _connection.RequestAsync(Message.ReplyTo!, "+ACK"u8.ToArray(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _connection.PublishAsync(Message.ReplyTo!, "+ACK"u8.ToArray(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Asks for redelivery.</summary>
    public ValueTask NakAsync(CancellationToken cancellationToken = default) =>
        _connection.PublishAsync(Message.ReplyTo!, "-NAK"u8.ToArray(), cancellationToken: cancellationToken);

    /// <summary>Never redeliver.</summary>
    public ValueTask TermAsync(CancellationToken cancellationToken = default) =>
        _connection.PublishAsync(Message.ReplyTo!, "+TERM"u8.ToArray(), cancellationToken: cancellationToken);
}
