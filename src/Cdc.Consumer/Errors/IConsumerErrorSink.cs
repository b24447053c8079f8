namespace Cdc.Consumer.Errors;

/// <summary>Where failed events are recorded before they are skipped or stopped on.</summary>
public interface IConsumerErrorSink
{
    ValueTask RecordAsync(ConsumerError error, CancellationToken cancellationToken = default);
}
