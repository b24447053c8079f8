using System.Net;
using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Cdc.Listener.Http;

/// <summary>
/// The local HTTP endpoint of <c>cdc run</c> (Kestrel, minimal APIs): <c>/status</c> (JSON),
/// <c>/metrics</c> (Prometheus, from the <see cref="CdcMeters"/> through OpenTelemetry's exporter), <c>/healthz</c>
/// (health checks tagged live) and <c>/readyz</c> (tagged ready). It runs beside the listener in the same host and
/// only reads the <see cref="ListenerTelemetry"/> owners.
/// </summary>
internal sealed class StatusEndpoint(
    IOptions<HttpEndpointOptions> httpOptions,
    IOptions<CdcOptions> cdcOptions,
    ListenerTelemetry telemetry,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Cdc.Http");
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private Task? _sampling;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var listen = httpOptions.Value.Listen;
        var endpoint = ListenAddress.Parse(listen, out var error);
        if (error is not null)
        {
            throw new CdcConfigurationException(error);
        }

        if (endpoint is null)
        {
            HttpLog.Off(_logger);
            return;
        }

        var sampler = new StatusSampler(telemetry.Changes, telemetry.Source, telemetry.Session.Time, cdcOptions.Value.Connection, cdcOptions.Value.PasswordFile, cdcOptions.Value.Slot, _logger);
        _app = Build(endpoint, sampler);
        try
        {
            await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // Address in use or not available on this machine: a configuration problem, said in one line.
            throw new CdcConfigurationException($"{ListenAddress.Key} = '{listen}': cannot listen there ({e.Message}); choose another address or off");
        }

        _sampling = Task.Run(() => sampler.RunAsync(_stopping.Token), CancellationToken.None);
        HttpLog.Listening(_logger, ListenAddress.BaseUri(endpoint).ToString());
    }

    private WebApplication Build(IPEndPoint endpoint, StatusSampler sampler)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "cdc" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(endpoint);
            k.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(telemetry.Session.Time);
        builder.Services.AddCdcInstruments(telemetry);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => CdcMetricsExport.Configure(metrics, httpOptions.Value));
        builder.Services.AddHealthChecks()
            .AddCheck<LivenessCheck>("listener-alive", tags: [HealthTags.Live])
            .AddCheck<ReadinessCheck>("listener-streaming", tags: [HealthTags.Ready])
            .AddCheck<SinkStorageCheck>("sink-storing", tags: [HealthTags.Ready]);
        var app = builder.Build();
        app.Services.CreateCdcInstruments();

        app.MapGet("/", () => Results.Text("cdc: /status /metrics /healthz /readyz\n"));
        app.MapGet("/status", () => Results.Json(
            StatusDocumentBuilder.Build(telemetry, sampler.Rate, telemetry.Session.Time.GetUtcNow()),
            StatusJsonContext.Default.StatusDocument));
        app.MapPrometheusScrapingEndpoint(CdcMetricsExport.Path);
        app.MapHealthChecks("/healthz", HealthTags.Options(HealthTags.Live));
        app.MapHealthChecks("/readyz", HealthTags.Options(HealthTags.Ready));
        return app;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_sampling is not null)
        {
            await _sampling.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }
}
