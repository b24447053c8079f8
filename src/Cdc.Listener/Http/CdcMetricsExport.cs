using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;
using NATS.Client.OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace Cdc.Listener.Http;

/// <summary>
/// What <c>/metrics</c> exports: Cdc's meters through OpenTelemetry's Prometheus exporter, configured so the page keeps
/// the names, types and labels of the hand-written page it replaced (classic Prometheus naming, no scope
/// labels, no <c>target_info</c>, never a cached answer).
/// </summary>
internal static class CdcMetricsExport
{
    public const string Path = "/metrics";

    public static void Configure(MeterProviderBuilder metrics, HttpEndpointOptions options)
    {
        foreach (var meter in CdcMeters.All)
        {
            metrics.AddMeter(meter);
        }

        if (options.NatsClientMetrics)
        {
            metrics.AddNatsClientInstrumentation();
        }

        metrics.AddPrometheusExporter(o =>
        {
            o.ScrapeEndpointPath = Path;
            o.TranslationStrategy = PrometheusAspNetCoreTranslationStrategy.UnderscoreEscapingWithSuffixes;
            o.ScopeInfoEnabled = false;
            o.TargetInfoEnabled = false;
            o.ScrapeResponseCacheDurationMilliseconds = 0;
        });
    }
}
