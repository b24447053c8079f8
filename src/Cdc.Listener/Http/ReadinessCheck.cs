using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cdc.Listener.Http;

/// <summary>Readiness (<c>/readyz</c>, tag <see cref="HealthTags.Ready"/>): changes flow from the slot to the sink right now, and the heartbeat (when on) arrives in time.</summary>
internal sealed class ReadinessCheck(SessionStatus session, SourceProgress source) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = session.State;
        return Task.FromResult(
            state is not "streaming" ? HealthCheckResult.Unhealthy($"not ready: {state}")
            : source.Heartbeat is { IsLate: true } heartbeat
                ? HealthCheckResult.Unhealthy($"not ready: no heartbeat arrived for {heartbeat.Age?.TotalSeconds:0}s (Cdc:Heartbeat:Timeout {heartbeat.Timeout.TotalSeconds:0}s)")
                : HealthCheckResult.Healthy("ready"));
    }
}
