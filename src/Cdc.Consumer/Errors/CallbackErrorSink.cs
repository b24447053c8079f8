namespace Cdc.Consumer.Errors;

/// <summary>Hands each failed event to a callback (logging, alerting, a table of your own).</summary>
public sealed class CallbackErrorSink(Func<ConsumerError, CancellationToken, ValueTask> callback) : IConsumerErrorSink
{
    private readonly Func<ConsumerError, CancellationToken, ValueTask> _callback = callback ?? throw new ArgumentNullException(nameof(callback));

    public ValueTask RecordAsync(ConsumerError error, CancellationToken cancellationToken = default) => _callback(error, cancellationToken);
}
