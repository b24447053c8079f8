namespace Cdc.Consumer.Events;

/// <summary>
/// A message of the stream that is not a Cdc event (another publisher, a newer schema this build cannot read). It is
/// never passed over silently: <see cref="CdcConsumer.RunAsync"/> treats it as a failed event (recorded, then skipped or
/// stopped on by policy) and <see cref="CdcConsumer.ReadAsync"/> yields it.
/// </summary>
public sealed class CdcUndecodableEvent : CdcEvent
{
    internal CdcUndecodableEvent(CdcEventEnvelope envelope, byte[] payload, CdcDecodeException error)
        : base(envelope)
    {
        Payload = payload;
        Error = error;
    }

    /// <summary>The raw payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Why it could not be decoded.</summary>
    public CdcDecodeException Error { get; }
}
