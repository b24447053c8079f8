namespace Cdc.Sink;

/// <summary>Receives the outcome of each message written to a sink. Called from the sink's threads.</summary>
public interface IAckHandler
{
    /// <summary>The broker stored the message (a duplicate ack counts as stored).</summary>
    void OnAcked(OutboundMessage message, ulong streamSequence);

    /// <summary>The message cannot be delivered and will not be retried (the pipeline must stop).</summary>
    void OnFailed(OutboundMessage message, Exception error);
}
