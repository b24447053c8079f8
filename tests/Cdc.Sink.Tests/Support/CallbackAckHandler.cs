namespace Cdc.Sink.Tests.Support;

internal sealed class CallbackAckHandler(Action<OutboundMessage> onAcked) : IAckHandler
{
    public void OnAcked(OutboundMessage message, ulong streamSequence) => onAcked(message);

    public void OnFailed(OutboundMessage message, Exception error) => throw new InvalidOperationException($"{message.MessageId} failed", error);
}
