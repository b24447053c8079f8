using Cdc.Decoding;
using Cdc.Listener.Delivery;
using Cdc.Listener.Outbox;
using Cdc.Listener.Telemetry;
using Cdc.Sink;
using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// Turns the sink's per-message outcomes into ledger state: an ack settles the message in its chunk;
/// a permanent failure stops the pipeline (nothing past the failed change is ever confirmed) — except for an outbox
/// message, whose refusal the outbox relay records (counted, and in an egress row) before it settles its place, so one
/// message NATS will never take does not stop the relay.
/// </summary>
internal sealed class AckRouter(DeliveryLedger ledger, SinkStatus sink, SessionStatus session, ILogger logger, OutboxRelay? outbox = null) : IAckHandler
{
    private Exception? _failure;

    /// <summary>The outbox relay whose messages this router settles, when outbox tables are configured.</summary>
    public OutboxRelay? Outbox => outbox;

    /// <summary>The first permanent sink failure, if any.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public void OnAcked(OutboundMessage message, ulong streamSequence)
    {
        sink.SetStreamSequence(streamSequence);
        outbox?.OnAcked(message);
        Settle(message);
    }

    private void Settle(OutboundMessage message)
    {
        try
        {
            ledger.AckMessage(message);
        }
        catch (DuplicateAckException e)
        {
            // Surfaced, never ignored: it means the sink reported one message twice.
            sink.CountDuplicateAck();
            session.CountError(e.Message);
            ListenerLog.DuplicateAck(logger, message.State is Chunk c ? new Lsn(c.EndLsn).ToString() : "?");
        }
    }

    public void OnFailed(OutboundMessage message, Exception error)
    {
        if (error is SinkStoppedException)
        {
            // The sink was disposed at shutdown with this change un-acked: the slot was not confirmed past it,
            // so the next start delivers it again. Not a refusal, and nothing is lost.
            outbox?.Forget(message);
            return;
        }

        if (outbox is not null && outbox.OnRefused(message, error))
        {
            Settle(message);
            return;
        }

        var failure = new SinkDeliveryException(
            $"the sink refused change {message.MessageId} on {message.Subject}: {error.Message}", error);
        Interlocked.CompareExchange(ref _failure, failure, null);
        session.CountError(failure.Message);
        ledger.Fail(failure);
    }
}

/// <summary>The sink refused a change permanently (too big, stream rejected it): fatal.</summary>
public sealed class SinkDeliveryException(string message, Exception innerException)
    : CdcException(message, isTransient: false, innerException);
