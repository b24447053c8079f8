using System.Diagnostics.Metrics;

namespace Cdc.Consumer;

/// <summary>The consumer's instruments on the <c>Cdc.Consumer</c> meter, tagged with the consumer name (chosen by the application, not by data).</summary>
internal sealed class CdcConsumerMetrics
{
    public const string MeterName = "Cdc.Consumer";

    private static readonly Meter _meter = new(MeterName);
    private static readonly Counter<long> _handled = _meter.CreateCounter<long>("cdc_consumer_events_handled", description: "Events the handler completed and the cursor passed");
    private static readonly Counter<long> _failures = _meter.CreateCounter<long>("cdc_consumer_handler_failures", description: "Handler attempts that threw");
    private static readonly Counter<long> _recorded = _meter.CreateCounter<long>("cdc_consumer_errors_recorded", description: "Events given up on after their retries, by status");
    private static readonly Counter<long> _gaps = _meter.CreateCounter<long>("cdc_consumer_gaps", description: "Gaps: runs of stream sequences that left the stream before this consumer read them");
    private static readonly Counter<long> _gapMessages = _meter.CreateCounter<long>("cdc_consumer_gap_messages", description: "Stream sequences inside gaps");

    private static readonly Counter<long> _sourceGaps = _meter.CreateCounter<long>("cdc_consumer_source_gaps", description: "Gap events read: LSN ranges whose changes Cdc never captured (a slot was recreated)");

    private readonly KeyValuePair<string, object?> _consumer;

    public CdcConsumerMetrics(string consumer)
    {
        _consumer = new("consumer", consumer);
    }

    public void Handled() => _handled.Add(1, _consumer);

    public void Failure() => _failures.Add(1, _consumer);

    public void Recorded(string status) => _recorded.Add(1, _consumer, new KeyValuePair<string, object?>("status", status));

    public void SourceGap() => _sourceGaps.Add(1, _consumer);

    public void Gap(ulong messages)
    {
        _gaps.Add(1, _consumer);
        _gapMessages.Add((long)messages, _consumer);
    }
}
