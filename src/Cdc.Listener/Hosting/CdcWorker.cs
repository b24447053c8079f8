using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cdc.Listener.Hosting;

/// <summary>
/// Runs the listener until the host stops. A fatal error stops the host with a one-line reason and
/// a non-zero exit code; a graceful stop drains in-flight acks and exits 0.
/// </summary>
internal sealed class CdcWorker(
    IOptions<CdcOptions> options,
    ListenerTelemetry telemetry,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Cdc.Listener");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's startup path at once: the listener runs until stopped.
        await Task.Yield();
        try
        {
            var listener = new ReplicationSupervisor(options.Value, telemetry, time, loggerFactory);
            await listener.RunAsync(stoppingToken).ConfigureAwait(false);
            Environment.ExitCode = ExitCodes.Ok;
        }
        catch (CdcException e) when (!e.IsTransient)
        {
            ListenerLog.Fatal(_logger, UrlRedaction.Redact(e.Message));
            await Console.Error.WriteLineAsync("cdc: " + e.Message).ConfigureAwait(false);
            Environment.ExitCode = e is CdcConfigurationException ? ExitCodes.BadConfiguration : ExitCodes.Fatal;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Environment.ExitCode = ExitCodes.Ok;
        }
        catch (Exception e)
        {
            ListenerLog.Fatal(_logger, e.ToString());
            await Console.Error.WriteLineAsync("cdc: " + e.Message).ConfigureAwait(false);
            Environment.ExitCode = ExitCodes.Fatal;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
