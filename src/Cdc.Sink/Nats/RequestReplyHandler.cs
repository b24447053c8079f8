namespace Cdc.Sink.Nats;

/// <summary>Completes a task with a copy of the reply.</summary>
internal sealed class RequestReplyHandler : IReplyHandler
{
    private readonly TaskCompletionSource<NatsMsg> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<NatsMsg> Task => _reply.Task;

    public void OnReply(ProtocolParser frame) => _reply.TrySetResult(NatsMsg.From(frame));

    public void OnConnectionLost(Exception error) => _reply.TrySetException(error);
}
