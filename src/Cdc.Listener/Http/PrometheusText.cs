using System.Globalization;
using System.Text;
using Cdc.Listener.Telemetry;

namespace Cdc.Listener.Http;

/// <summary>
/// The <c>/metrics</c> page in the Prometheus text exposition format (version 0.0.4), written by
/// hand from the live numbers: no exporter package is needed and a scrape reads only counters.
/// </summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string[] States = ["starting", "connecting", "streaming", "standby", "reconnecting", "draining", "stopped"];

    public static string Write(ListenerStatus status, DateTimeOffset now)
    {
        var text = new StringBuilder(4096);
        var (inFlightBytes, chunks, transactions) = status.InFlight?.Invoke() ?? (0, 0, 0);

        Family(text, "cdc_listener_state", "gauge", "1 for the listener's current state, 0 for the others.");
        foreach (var state in States.Append(status.State).Distinct())
        {
            Sample(text, "cdc_listener_state", state == status.State ? 1 : 0, ("state", state));
        }

        Gauge(text, "cdc_uptime_seconds", "Seconds since the sidecar started.", (now - status.StartedAt).TotalSeconds);

        // Each family's samples follow its HELP and TYPE lines as one group (the format requires it).
        var tables = status.Tables.OrderBy(p => p.Key.Table, StringComparer.Ordinal).ThenBy(p => p.Key.Operation, StringComparer.Ordinal).ToList();
        Family(text, "cdc_changes_total", "counter", "Messages delivered to the sink (row changes, truncates, logical messages, schema events), per table and operation.");
        foreach (var (key, counter) in tables)
        {
            Sample(text, "cdc_changes_total", counter.Changes, ("table", key.Table), ("operation", key.Operation));
        }

        Family(text, "cdc_change_bytes_total", "counter", "Encoded event bytes delivered to the sink, per table and operation.");
        foreach (var (key, counter) in tables)
        {
            Sample(text, "cdc_change_bytes_total", counter.Bytes, ("table", key.Table), ("operation", key.Operation));
        }

        Counter(text, "cdc_transactions_total", "Transactions decoded.", status.Transactions);
        Counter(text, "cdc_skipped_transactions_total", "Replayed transactions skipped because they were already delivered.", status.SkippedTransactions);
        Gauge(text, "cdc_in_flight_bytes", "Bytes handed to the sink and not yet acknowledged.", inFlightBytes);
        Gauge(text, "cdc_in_flight_bytes_limit", "In-flight budget: reading from PostgreSQL pauses above it.", status.MaxInFlightBytes);
        Gauge(text, "cdc_pending_chunks", "Chunks awaiting acknowledgement.", chunks);
        Gauge(text, "cdc_pending_transactions", "Transactions not yet fully acknowledged.", transactions);
        if (status.PendingAcks?.Invoke() is { } pendingAcks)
        {
            Gauge(text, "cdc_pending_acks", "Messages published to JetStream and awaiting a PubAck.", pendingAcks);
        }

        if (status.Ledger?.Invoke() is { } ledger)
        {
            Counter(text, "cdc_pusher_budget_waits_total", "Pushes that waited for in-flight budget (backpressure).", ledger.PushWaits);
            Counter(text, "cdc_pusher_budget_wait_seconds_total", "Time pushes spent waiting for in-flight budget.", ledger.PushWaitTime.TotalSeconds);
        }

        if (status.SlotState is { LagBytes: { } lagBytes })
        {
            Gauge(text, "cdc_slot_lag_bytes", "WAL bytes between the server's current position and the slot's confirmed flush LSN.", lagBytes);
        }

        if (status.EndToEndLag(now) is { } lag)
        {
            Gauge(text, "cdc_end_to_end_lag_seconds", "Commit in PostgreSQL to acknowledgement by JetStream.", lag.TotalSeconds);
        }

        Gauge(text, "cdc_confirmed_flush_lsn", "Confirmed flush LSN as a number (every change before it is in JetStream).", status.ConfirmedFlushLsn);
        Gauge(text, "cdc_sink_last_sequence", "JetStream stream sequence of the newest acknowledged message.", status.LastStreamSequence);
        Counter(text, "cdc_reconnects_total", "Replication sessions re-established after an interruption.", status.Reconnects);
        Counter(text, "cdc_errors_total", "Errors seen (interruptions, sink failures, duplicate acks).", status.Errors);
        Counter(text, "cdc_duplicate_acks_total", "Acknowledgements of an already acknowledged message.", status.DuplicateAcks);
        WriteBackfills(text, status.Backfills?.Invoke() ?? []);
        return text.ToString();
    }

    /// <summary>The running backfills, labelled by table (published tables only: bounded).</summary>
    private static void WriteBackfills(StringBuilder text, IReadOnlyList<BackfillProgress> backfills)
    {
        if (backfills.Count == 0)
        {
            return;
        }

        (string Name, string Help, Func<BackfillProgress, double?> Value)[] families =
        [
            ("cdc_backfill_rows", "Rows read by the backfill's acknowledged chunks.", b => b.RowsDone),
            ("cdc_backfill_rows_estimate", "The table's row estimate (0: unknown).", b => b.RowsEstimate),
            ("cdc_backfill_rows_per_second", "Backfill rate since this process took it up.", b => b.RowsPerSecond),
            ("cdc_backfill_eta_seconds", "Seconds left at the current rate.", b => b.EtaSeconds),
        ];
        foreach (var (name, help, value) in families)
        {
            Family(text, name, "gauge", help);
            foreach (var backfill in backfills)
            {
                if (value(backfill) is { } v)
                {
                    Sample(text, name, v, ("table", backfill.Table));
                }
            }
        }
    }

    private static void Counter(StringBuilder text, string name, string help, double value)
    {
        Family(text, name, "counter", help);
        Sample(text, name, value);
    }

    private static void Gauge(StringBuilder text, string name, string help, double value)
    {
        Family(text, name, "gauge", help);
        Sample(text, name, value);
    }

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, double value, params (string Name, string Value)[] labels)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    text.Append(',');
                }

                text.Append(labels[i].Name).Append("=\"");
                Escape(text, labels[i].Value);
                text.Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>Label values escape backslash, double quote and line feed (the format's only escapes).</summary>
    private static void Escape(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }
    }
}
