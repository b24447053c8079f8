using Cdc.V1;
using Google.Protobuf;
using NATS.Client.JetStream;

namespace Cdc.Consumer.Events;

/// <summary>Turns a JetStream message of Cdc's stream into its typed event, by subject and payload.</summary>
internal static class CdcEventDecoder
{
    private const string SchemaSuffix = "._schema";
    private const string SnapshotSuffix = "._snapshot";
    private const string GapSuffix = "._gap";
    private const string MessageIdHeader = "Nats-Msg-Id";
    private const string ContentTypeHeader = "Content-Type";

    public static CdcEvent Decode(INatsJSMsg<byte[]> message)
    {
        var metadata = message.Metadata
            ?? throw new CdcDecodeException($"message on '{message.Subject}' carries no JetStream metadata (not read from a stream consumer)");
        string? id = null;
        if (message.Headers is { } headers && headers.TryGetValue(MessageIdHeader, out var values) && values.Count > 0)
        {
            id = values[0];
        }

        var envelope = new CdcEventEnvelope(metadata.Sequence.Stream, message.Subject, message.Headers, id, metadata.Timestamp, message);
        return Decode(envelope, message.Data ?? []);
    }

    public static CdcEvent Decode(CdcEventEnvelope envelope, byte[] payload)
    {
        string? contentType = null;
        if (envelope.Headers is { } headers && headers.TryGetValue(ContentTypeHeader, out var values) && values.Count > 0)
        {
            contentType = values[0];
        }

        if (CdcOutboxMessage.IsOutbox(envelope.Headers))
        {
            return new CdcOutboxMessage(envelope, payload);
        }

        try
        {
            if (envelope.Subject.EndsWith(SchemaSuffix, StringComparison.Ordinal))
            {
                return new CdcRelationEvent(envelope, EventPayload.Parse(RelationEvent.Parser, contentType, payload));
            }

            if (envelope.Subject.EndsWith(SnapshotSuffix, StringComparison.Ordinal))
            {
                return new CdcSnapshotMarker(envelope, EventPayload.Parse(SnapshotEvent.Parser, contentType, payload));
            }

            if (envelope.Subject.EndsWith(GapSuffix, StringComparison.Ordinal))
            {
                return new CdcSourceGap(envelope, EventPayload.Parse(GapEvent.Parser, contentType, payload));
            }

            var change = EventPayload.Parse(ChangeEvent.Parser, contentType, payload);
            return change.Operation == Operation.Message
                ? new CdcLogicalMessage(envelope, change)
                : new CdcChangeEvent(envelope, change);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or CdcDecodeException)
        {
            return new CdcUndecodableEvent(envelope, payload, new CdcDecodeException(
                $"stream sequence {envelope.StreamSequence} on '{envelope.Subject}' is not a Cdc event: {e.Message}", e));
        }
    }
}
