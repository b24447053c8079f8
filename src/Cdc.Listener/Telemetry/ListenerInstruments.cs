using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>Instruments of the listener as a whole (meter <see cref="CdcMeters.Listener"/>), observed from <see cref="SessionStatus"/> at collection.</summary>
internal sealed class ListenerInstruments
{
    /// <summary>Every state gets a sample (0 or 1) so a dashboard sees the transitions; an unknown one is added.</summary>
    private static readonly string[] States = ["starting", "connecting", "snapshot", "streaming", "standby", "reconnecting", "draining", "stopped"];

    public ListenerInstruments(IMeterFactory meters, SessionStatus session, TimeProvider time)
    {
        var meter = meters.Create(CdcMeters.Listener);
        meter.CreateObservableGauge(
            "cdc_listener_state",
            () => StateSamples(session.State),
            description: "1 for the listener's current state, 0 for the others.");
        meter.CreateObservableGauge(
            "cdc_uptime_seconds",
            () => (time.GetUtcNow() - session.StartedAt).TotalSeconds,
            description: "Seconds since the sidecar started.");
        meter.CreateObservableCounter(
            "cdc_errors_total",
            () => session.Errors,
            description: "Errors seen (interruptions, sink failures, duplicate acks).");
    }

    private static IEnumerable<Measurement<int>> StateSamples(string current)
    {
        foreach (var state in States)
        {
            yield return new Measurement<int>(state == current ? 1 : 0, new KeyValuePair<string, object?>("state", state));
        }

        if (!States.Contains(current))
        {
            yield return new Measurement<int>(1, new KeyValuePair<string, object?>("state", current));
        }
    }
}
