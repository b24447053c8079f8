using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// The running backfill (meter <see cref="CdcMeters.Listener"/>), the numbers <c>cdc status</c> draws its progress bar
/// from, labelled by table (a published table: bounded like the per-table counters), and how many wait behind it.
/// </summary>
internal sealed class BackfillInstruments
{
    public BackfillInstruments(IMeterFactory meters, BackfillStatus backfills)
    {
        var meter = meters.Create(CdcMeters.Listener);
        meter.CreateObservableGauge("cdc_backfill_rows", () => Samples(backfills, b => b.RowsDone),
            description: "Rows read by the backfill's acknowledged chunks.");
        meter.CreateObservableGauge("cdc_backfill_rows_estimate", () => Samples(backfills, b => b.RowsEstimate),
            description: "The backfilled table's row estimate (0: unknown, never analyzed).");
        meter.CreateObservableGauge("cdc_backfill_rows_per_second", () => Samples(backfills, b => b.RowsPerSecond),
            description: "Backfill rate since this process took it up.");
        meter.CreateObservableGauge("cdc_backfill_eta_seconds", () => Samples(backfills, b => b.EtaSeconds),
            description: "Seconds left at the current backfill rate.");
        meter.CreateObservableGauge("cdc_backfill_queued", () => backfills.Progress.Count(b => b.State == BackfillProgress.Queued),
            description: "Backfills requested and waiting for the running one (they run one at a time, in request order).");
    }

    private static IEnumerable<Measurement<double>> Samples(BackfillStatus backfills, Func<BackfillProgress, double?> value)
    {
        foreach (var backfill in backfills.Progress)
        {
            if (backfill.State != BackfillProgress.Running)
            {
                continue;
            }

            if (value(backfill) is { } v)
            {
                yield return new Measurement<double>(v, new KeyValuePair<string, object?>("table", backfill.Table));
            }
        }
    }
}
