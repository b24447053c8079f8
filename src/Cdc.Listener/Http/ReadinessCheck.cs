using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cdc.Listener.Http;

/// <summary>Readiness (<c>/readyz</c>, tag <see cref="HealthTags.Ready"/>): changes flow from the slot to the sink right now.</summary>
internal sealed class ReadinessCheck(ListenerStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = status.State;
        return Task.FromResult(state is "streaming" ? HealthCheckResult.Healthy("ready") : HealthCheckResult.Unhealthy($"not ready: {state}"));
    }
}
