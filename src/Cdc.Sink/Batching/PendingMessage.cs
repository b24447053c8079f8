namespace Cdc.Sink;

/// <summary>A published message waiting for its PubAck; republished with the same message id until it gets one.</summary>
internal sealed class PendingMessage
{
    private int _finished;

    public PendingMessage(OutboundMessage message, ReadOnlyMemory<byte> payload, IReadOnlyList<KeyValuePair<string, string>>? headers, int size)
    {
        Message = message;
        Payload = payload;
        Headers = headers;
        Size = size;
    }

    public OutboundMessage Message { get; }

    /// <summary>What goes on the wire: the message's payload, or nothing in the reference form of an oversize message.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Headers after <c>Nats-Msg-Id</c> (the reference headers added for an oversize message).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; }

    /// <summary>Header block and payload bytes, without <c>Nats-Expected-Last-Msg-Id</c>.</summary>
    public int Size { get; }

    /// <summary>
    /// Id of the message published just before this one when it was first published (null for the writer's first): met
    /// while looking back through the stream, it means nothing from this message on is stored.
    /// </summary>
    public string? PreviousId { get; set; }

    /// <summary>
    /// Place in the publish order (1 for the writer's first message), set at the first publish. The stream holds a prefix of
    /// that order (the chain), so two stored messages lie as many sequences apart as their ordinals, acknowledged messages
    /// between them included (they are no longer in the window). A message failed after its first publish is the exception:
    /// not stored, it is still counted.
    /// </summary>
    public long Ordinal { get; set; }

    /// <summary>The reply token of the latest publish (a new one per republish); 0 before the first.</summary>
    public long Token { get; set; }

    /// <summary>Timestamp of the latest publish on the writer's <see cref="TimeProvider"/> (set by <see cref="InflightWindow"/> under its lock).</summary>
    public long PublishedAt { get; set; }

    /// <summary>Neighbours in the <see cref="InflightWindow"/>'s list (changed under its lock only).</summary>
    public PendingMessage? Previous { get; set; }

    public PendingMessage? Next { get; set; }

    /// <summary>In the <see cref="InflightWindow"/> (changed under its lock only).</summary>
    public bool InWindow { get; set; }

    /// <summary>True once: the message is reported exactly once.</summary>
    public bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;
}
