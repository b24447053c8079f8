using Cdc.V1;
using Google.Protobuf;
using NATS.Client.JetStream;

namespace Cdc.Consumer.Events;

/// <summary>Turns a JetStream message of Cdc's stream into its typed event, by subject and payload.</summary>
internal static class CdcEventDecoder
{
    private const string SchemaSuffix = "._schema";
    private const string MessageIdHeader = "Nats-Msg-Id";

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
        try
        {
            if (envelope.Subject.EndsWith(SchemaSuffix, StringComparison.Ordinal))
            {
                return new CdcRelationEvent(envelope, RelationEvent.Parser.ParseFrom(payload));
            }

            var change = ChangeEvent.Parser.ParseFrom(payload);
            return change.Operation == Operation.Message
                ? new CdcLogicalMessage(envelope, change)
                : new CdcChangeEvent(envelope, change);
        }
        catch (InvalidProtocolBufferException e)
        {
            return new CdcUndecodableEvent(envelope, payload, new CdcDecodeException(
                $"stream sequence {envelope.StreamSequence} on '{envelope.Subject}' is not a Cdc event: {e.Message}", e));
        }
    }
}
