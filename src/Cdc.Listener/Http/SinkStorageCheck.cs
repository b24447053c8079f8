using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cdc.Listener.Http;

/// <summary>
/// Readiness (<c>/readyz</c>, tag <see cref="HealthTags.Ready"/>): JetStream stores what Cdc publishes. A full stream or
/// server holds every change (nothing is lost, the slot waits) while the listener still looks as if it streams.
/// </summary>
internal sealed class SinkStorageCheck(SinkStatus sink) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(sink.Health?.PublishRefusal is { } refusal
            ? HealthCheckResult.Unhealthy("not ready: " + refusal)
            : HealthCheckResult.Healthy("JetStream stores"));
}
