using Cdc.Sink;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// The sink is started (NATS reached, the stream checked) before the slot is created, so before the ledger its
/// acknowledgements settle in exists; this hands them on once it does. Nothing is written to the sink before
/// <see cref="Attach"/>, so no outcome can arrive without a target.
/// </summary>
internal sealed class LateAckHandler : IAckHandler
{
    private IAckHandler? _target;

    public void Attach(IAckHandler target) => Volatile.Write(ref _target, target);

    public void OnAcked(OutboundMessage message, ulong streamSequence) => Target.OnAcked(message, streamSequence);

    public void OnFailed(OutboundMessage message, Exception error) => Target.OnFailed(message, error);

    private IAckHandler Target => Volatile.Read(ref _target) ?? throw new InvalidOperationException("the sink reported a message before the pipeline was attached");
}
