using Cdc.Sink.Nats;

namespace Cdc.Sink;

/// <summary>A published message waiting for its PubAck; republished with the same message id until it gets one.</summary>
internal sealed class PendingMessage : IReplyHandler
{
    private readonly StreamingBatchWriter _writer;
    private int _finished;

    public PendingMessage(StreamingBatchWriter writer, OutboundMessage message, NatsPublishItem item)
    {
        _writer = writer;
        Message = message;
        Item = item;
    }

    public OutboundMessage Message { get; }

    /// <summary>What goes on the wire (the reference form when the payload was too large).</summary>
    public NatsPublishItem Item { get; set; }

    /// <summary>The muxed-inbox token of the latest publish (a new one per republish).</summary>
    public long Token { get; set; } = -1;

    /// <summary>Stopwatch timestamp of the latest publish.</summary>
    public long PublishedAt { get; set; }

    /// <summary>Neighbours in the <see cref="InflightWindow"/>'s list (changed under its lock only).</summary>
    public PendingMessage? Previous { get; set; }

    public PendingMessage? Next { get; set; }

    /// <summary>In the <see cref="InflightWindow"/> (changed under its lock only).</summary>
    public bool InWindow { get; set; }

    /// <summary>True once: the message is reported exactly once.</summary>
    public bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;

    public void OnReply(ProtocolParser frame) => _writer.OnReply(this, frame);

    public void OnConnectionLost(Exception error) => _writer.RequestResend(error.Message, delay: false);
}
