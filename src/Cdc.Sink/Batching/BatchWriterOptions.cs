using Cdc.Sink.Connection;

namespace Cdc.Sink;

/// <summary>How <see cref="StreamingBatchWriter"/> batches (section <c>BatchWriter</c>). Immutable; <see cref="Validate"/> names the bad key.</summary>
public sealed record BatchWriterOptions
{
    /// <summary>A batch ends after this many messages.</summary>
    public int MaxRows { get; init; } = 1000;

    /// <summary>A batch ends when its payloads reach this many bytes.</summary>
    public long MaxBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>A batch ends this long after its first message even when it is not full.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Messages published but not yet acknowledged; at the bound, <see cref="IMessageSink.WriteAsync"/> waits.</summary>
    public int MaxPendingAcks { get; init; } = 8192;

    /// <summary>A message without PubAck for this long is republished (with the same message id).</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a refusal an operator can fix is retried, in order, before it fails the message: a 503 (no stream for
    /// the subject, or a leader change) and a publish permissions violation.
    /// </summary>
    public TimeSpan NoStreamRetryTime { get; init; } = TimeSpan.FromSeconds(30);

    public OversizePolicy OversizePolicy { get; init; } = OversizePolicy.Fail;

    /// <summary>
    /// Under <see cref="OversizePolicy.PublishReference"/>, more headers for the message published without its payload
    /// (the row's key, say), so a consumer can tell what is missing. Called only for such a message.
    /// </summary>
    public Func<OutboundMessage, IReadOnlyList<KeyValuePair<string, string>>>? DescribeOmitted { get; init; }

    /// <summary>
    /// Chains every publish to the one before it with <c>Nats-Expected-Last-Msg-Id</c>, so JetStream refuses a
    /// message whose predecessor is not stored (lost with a dropped connection) instead of storing it out of order.
    /// Off only to measure its cost: without it a reconnect may reorder a table's messages. Needs one writer per stream.
    /// </summary>
    public bool ChainPublishes { get; init; } = true;

    public void Validate()
    {
        NatsOptions.Range("BatchWriter:MaxRows", MaxRows, 1, 1_000_000);
        NatsOptions.Range("BatchWriter:MaxBytes", MaxBytes, 1024, 1L << 32);
        NatsOptions.Range("BatchWriter:Timeout", Timeout, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        NatsOptions.Range("BatchWriter:MaxPendingAcks", MaxPendingAcks, 1, 1_000_000);
        NatsOptions.Range("BatchWriter:AckTimeout", AckTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        NatsOptions.Range("BatchWriter:NoStreamRetryTime", NoStreamRetryTime, TimeSpan.Zero, TimeSpan.FromHours(1));
        if (!Enum.IsDefined(OversizePolicy))
        {
            throw new SinkConfigurationException("BatchWriter:OversizePolicy", $"'{OversizePolicy}' is not Fail or PublishReference");
        }
    }
}
