using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// Instruments of the pipeline (meter <see cref="CdcMeters.Pipeline"/>), observed from its <see cref="ChangeCounters"/>
/// at collection: the per-table counters are the Interlocked <see cref="TableCounter"/>s the pipeline already keeps
/// (one per table and operation, bounded), so a change costs no more for being exported.
/// </summary>
internal sealed class PipelineInstruments
{
    public PipelineInstruments(IMeterFactory meters, ChangeCounters changes, TimeProvider time)
    {
        var meter = meters.Create(CdcMeters.Pipeline);
        meter.CreateObservableCounter(
            "cdc_changes_total",
            () => PerTable(changes, static c => c.Changes),
            description: "Messages delivered to the sink (row changes, truncates, logical messages, schema events), per table and operation.");
        meter.CreateObservableCounter(
            "cdc_change_bytes_total",
            () => PerTable(changes, static c => c.Bytes),
            description: "Encoded event bytes delivered to the sink, per table and operation.");
        meter.CreateObservableCounter("cdc_transactions_total", () => changes.Transactions, description: "Transactions decoded.");
        meter.CreateObservableCounter(
            "cdc_skipped_transactions_total",
            () => changes.SkippedTransactions,
            description: "Replayed transactions skipped because they were already delivered.");
        meter.CreateObservableGauge(
            "cdc_end_to_end_lag_seconds",
            () => changes.EndToEndLag(time.GetUtcNow()) is { } lag ? [new Measurement<double>(lag.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            description: "Commit in PostgreSQL to acknowledgement by JetStream.");
    }

    private static IEnumerable<Measurement<long>> PerTable(ChangeCounters changes, Func<TableCounter, long> value)
    {
        foreach (var ((table, operation), counter) in changes.Tables)
        {
            yield return new Measurement<long>(value(counter), new("table", table), new("operation", operation));
        }
    }
}
