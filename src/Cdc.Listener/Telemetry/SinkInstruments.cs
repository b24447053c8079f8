using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// Instruments of writing to NATS (meter <see cref="CdcMeters.Sink"/>). The per-table counters are the Interlocked
/// <see cref="TableCounter"/>s the pipeline already keeps (one per table and operation, bounded): observed at
/// collection, so a change costs no more than before and <c>/status</c> reads the same numbers.
/// </summary>
internal sealed class SinkInstruments
{
    public SinkInstruments(IMeterFactory meters, ListenerStatus status)
    {
        var meter = meters.Create(CdcMeters.Sink);
        meter.CreateObservableCounter(
            "cdc_changes_total",
            () => PerTable(status, static c => c.Changes),
            description: "Messages delivered to the sink (row changes, truncates, logical messages, schema events), per table and operation.");
        meter.CreateObservableCounter(
            "cdc_change_bytes_total",
            () => PerTable(status, static c => c.Bytes),
            description: "Encoded event bytes delivered to the sink, per table and operation.");
        meter.CreateObservableGauge(
            "cdc_pending_acks",
            () => status.PendingAcks is { } pending ? [new Measurement<int>(pending())] : Array.Empty<Measurement<int>>(),
            description: "Messages published to JetStream and awaiting a PubAck.");
        meter.CreateObservableGauge(
            "cdc_sink_last_sequence",
            () => (long)status.LastStreamSequence,
            description: "JetStream stream sequence of the newest acknowledged message.");
        meter.CreateObservableCounter(
            "cdc_duplicate_acks_total",
            () => status.DuplicateAcks,
            description: "Acknowledgements of an already acknowledged message.");
    }

    private static IEnumerable<Measurement<long>> PerTable(ListenerStatus status, Func<TableCounter, long> value)
    {
        foreach (var ((table, operation), counter) in status.Tables)
        {
            yield return new Measurement<long>(value(counter), new("table", table), new("operation", operation));
        }
    }
}
