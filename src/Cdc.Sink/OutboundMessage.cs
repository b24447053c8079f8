namespace Cdc.Sink;

/// <summary>One message for the broker, with what the writer needs to batch it and report its ack.</summary>
public sealed class OutboundMessage
{
    public required MessageKind Kind { get; init; }

    /// <summary>The ordering key: messages of one table are published in the order they were written.</summary>
    public required string Table { get; init; }

    public required string Subject { get; init; }

    /// <summary>Deterministic id (<c>Nats-Msg-Id</c>) so that a replay is deduplicated by JetStream.</summary>
    public required string MessageId { get; init; }

    public required ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>Extra headers, sent after <c>Nats-Msg-Id</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }

    /// <summary>The producer's own state (the listener's chunk), handed back with the ack.</summary>
    public object? State { get; init; }
}
