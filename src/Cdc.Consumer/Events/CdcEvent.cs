using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Cdc.Consumer.Events;

/// <summary>
/// One message of Cdc's stream, decoded: a <see cref="CdcChangeEvent"/>, a <see cref="CdcRelationEvent"/>, a
/// <see cref="CdcLogicalMessage"/>, a <see cref="CdcOutboxMessage"/>, a <see cref="CdcSnapshotMarker"/> (or a
/// <see cref="CdcUndecodableEvent"/>), with where it sits in the JetStream stream.
/// </summary>
public abstract class CdcEvent
{
    private protected CdcEvent(CdcEventEnvelope envelope)
    {
        StreamSequence = envelope.StreamSequence;
        Subject = envelope.Subject;
        Headers = envelope.Headers;
        MessageId = envelope.MessageId;
        Timestamp = envelope.Timestamp;
        JetStreamMessage = envelope.Message;
    }

    /// <summary>The message's sequence in the stream: the cursor position once this event is handled.</summary>
    public ulong StreamSequence { get; }

    /// <summary>The subject it was published on (<c>&lt;prefix&gt;.&lt;database&gt;.&lt;schema&gt;.&lt;table&gt;[...]</c>).</summary>
    public string Subject { get; }

    /// <summary>The message headers, when it had any.</summary>
    public NatsHeaders? Headers { get; }

    /// <summary>
    /// <c>Nats-Msg-Id</c>: deterministic (<c>&lt;slot&gt;:&lt;timeline&gt;:&lt;end LSN&gt;:&lt;index&gt;</c>), so the same change keeps its id across a
    /// listener replay. Null when the publisher set none.
    /// </summary>
    public string? MessageId { get; }

    /// <summary>When JetStream stored the message.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The JetStream message, for the cursor stores that acknowledge it.</summary>
    internal INatsJSMsg<byte[]>? JetStreamMessage { get; }
}

/// <summary>Where a message sits in the stream and what came with it.</summary>
internal readonly record struct CdcEventEnvelope(
    ulong StreamSequence,
    string Subject,
    NatsHeaders? Headers,
    string? MessageId,
    DateTimeOffset Timestamp,
    INatsJSMsg<byte[]>? Message);
