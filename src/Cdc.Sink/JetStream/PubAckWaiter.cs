using Cdc.Sink.Nats;

namespace Cdc.Sink.JetStream;

/// <summary>Waits for one PubAck through the muxed inbox; a 503 reply means no stream for the subject.</summary>
internal sealed class PubAckWaiter : IReplyHandler
{
    private readonly TaskCompletionSource<PubAck> _ack = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<PubAck> Task => _ack.Task;

    public void OnReply(ProtocolParser frame)
    {
        if (ReplyStatus.Of(frame) == 503)
        {
            _ack.TrySetException(new NatsNoRespondersException(System.Text.Encoding.ASCII.GetString(frame.Subject)));
            return;
        }

        _ack.TrySetResult(PubAck.Parse(frame.Payload));
    }

    public void OnConnectionLost(Exception error) => _ack.TrySetException(error);
}
