using Cdc.Listener.Configuration;
using Cdc.Listener.Hosting;
using Cdc.Listener.Source;

namespace Cdc.Listener.Cli;

/// <summary>
/// Healthy (exit 0): the sidecar streams and lags less than the thresholds. Lagging (exit 3): it
/// runs but does not stream (connecting, standby, reconnecting...), lags too much, or the slot is
/// missing or losing WAL. Down (exit 4): its endpoint does not answer. Degraded (exit 5): it answers but
/// its sink is not connected to NATS or JetStream refuses to store (stream or server full), PostgreSQL could not be
/// read with <c>--connection</c>, or outbox messages were refused (they wait in their rows for someone to look).
/// </summary>
public static class StatusVerdict
{
    public static (string Verdict, int ExitCode, IReadOnlyList<string> Reasons) Decide(
        SidecarReport sidecar, SlotState? slot, StatusThresholds thresholds, string? postgresError = null)
    {
        var reasons = new List<string>();
        if (!sidecar.Running || sidecar.Status is not { } status)
        {
            reasons.Add($"the sidecar is not running (no answer from {sidecar.Url}{(sidecar.Error is null ? string.Empty : ": " + sidecar.Error)})");
            AddPostgresError(reasons, postgresError);
            return ("down", ExitCodes.Down, reasons);
        }

        var degraded = false;
        if (status.Sink.Connection is "disconnected")
        {
            var since = status.Sink.DisconnectedSince is { } t ? $" since {t:yyyy-MM-dd HH:mm:ss} UTC" : string.Empty;
            var error = status.Sink.ConnectionError is { } e ? ": " + e : string.Empty;
            reasons.Add($"the sink is not connected to {status.Sink.Server ?? status.Sink.Kind}{since}{error}");
            degraded = true;
        }

        if (status.Sink.PublishRefusal is { } refusal)
        {
            reasons.Add(refusal);
            degraded = true;
        }

        if (postgresError is not null)
        {
            AddPostgresError(reasons, postgresError);
            degraded = true;
        }

        if (status.Outbox is { Refused: > 0 } outbox)
        {
            reasons.Add($"{outbox.Refused} outbox messages were refused and left in their rows (last: {outbox.LastRefusal})");
            degraded = true;
        }

        var listener = status.Listener;
        if (listener.State != "streaming")
        {
            reasons.Add($"the listener is {listener.State}, not streaming");
        }

        if (listener.EndToEndLagSeconds is { } lag && lag > thresholds.MaxLag.TotalSeconds)
        {
            reasons.Add($"end-to-end lag {DurationText.Format(TimeSpan.FromSeconds(lag))} is above {DurationText.Format(thresholds.MaxLag)}");
        }

        if (listener.HeartbeatLate)
        {
            reasons.Add($"no heartbeat arrived through the slot for {DurationText.Format(TimeSpan.FromSeconds(listener.HeartbeatAgeSeconds ?? 0))}: the pipeline is stalled between PostgreSQL and JetStream");
        }

        if (slot is { Exists: false })
        {
            reasons.Add($"replication slot {slot.Name} does not exist");
        }

        if (slot is { LagBytes: { } bytes } && bytes > thresholds.MaxLagBytes)
        {
            reasons.Add($"slot lag {ByteText.Format(bytes)} is above {ByteText.Format(thresholds.MaxLagBytes)}");
        }

        if (slot is { LagSeconds: { } seconds } && seconds > thresholds.MaxLag.TotalSeconds)
        {
            reasons.Add($"slot flush lag {DurationText.Format(TimeSpan.FromSeconds(seconds))} is above {DurationText.Format(thresholds.MaxLag)}");
        }

        if (slot is { WalStatus: "lost" or "unreserved" })
        {
            reasons.Add($"slot wal_status is {slot.WalStatus}: WAL the slot needs is being or was removed");
        }

        return degraded ? ("degraded", ExitCodes.Degraded, reasons)
            : reasons.Count == 0 ? ("healthy", ExitCodes.Ok, reasons)
            : ("lagging", ExitCodes.Lagging, reasons);
    }

    private static void AddPostgresError(List<string> reasons, string? postgresError)
    {
        if (postgresError is not null)
        {
            reasons.Add($"PostgreSQL cannot be read with --connection: {postgresError}");
        }
    }
}
