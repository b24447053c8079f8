namespace Cdc.Sink.Nats;

/// <summary>
/// Completes a task with one reply through the muxed inbox, converted by <c>read</c> while the frame is
/// valid (on the read loop). A 503 status means nobody subscribes to the request subject.
/// </summary>
internal sealed class ReplyWaiter<T>(string subject, Func<ProtocolParser, T> read) : IReplyHandler
{
    private readonly TaskCompletionSource<T> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _reply.Task;

    public void OnReply(ProtocolParser frame)
    {
        if (ReplyStatus.Of(frame) == 503)
        {
            _reply.TrySetException(new NatsNoRespondersException(subject));
            return;
        }

        _reply.TrySetResult(read(frame));
    }

    public void OnConnectionLost(Exception error) => _reply.TrySetException(error);
}
