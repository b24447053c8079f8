using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cdc.Listener.Http;

/// <summary>Liveness (<c>/healthz</c>, tag <see cref="HealthTags.Live"/>): the process serves requests and has not stopped for good.</summary>
internal sealed class LivenessCheck(SessionStatus session) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = session.State;
        return Task.FromResult(state is "stopped" ? HealthCheckResult.Unhealthy(state) : HealthCheckResult.Healthy("ok"));
    }
}
