using Cdc.Sink.JetStream;

namespace Cdc.Sink;

public sealed partial class StreamingBatchWriter : IStreamMessageIds
{
    public Task<IReadOnlyList<string>> ReadMessageIdsAsync(string subjectFilter, int maxScan, CancellationToken cancellationToken = default)
        => new JetStreamHistory(_jetStream, _streamOptions.Name).ReadMessageIdsAsync(subjectFilter, maxScan, cancellationToken);
}
