using Cdc.Listener.Configuration;
using Cdc.Listener.Http;
using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cdc.Listener.Hosting;

/// <summary>
/// Builds the generic host of <c>cdc run</c>. Configuration in the host's usual order:
/// appsettings.json, an optional extra file, environment variables (<c>CDC__NATS__URL</c> is
/// <c>Cdc:Nats:Url</c>), then command-line options.
/// </summary>
internal static class CdcHost
{
    public static IHost Build(string? configFile, IDictionary<string, string?> overrides, bool jsonLogs)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = false,
        });
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new CdcConfigurationException($"--config file '{configFile}' does not exist");
            }

            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        builder.Configuration.AddInMemoryCollection(overrides);

        // Cdc:Tables is a list (Cdc:Tables:0, CDC__TABLES__0, --tables): the binder drops a single value without a
        // word, and a publication Cdc creates would then cover every table.
        var tablesKey = CdcOptions.SectionName + ":" + nameof(CdcOptions.Tables);
        if (!string.IsNullOrEmpty(builder.Configuration[tablesKey]))
        {
            throw new CdcConfigurationException(
                $"{tablesKey} = '{builder.Configuration[tablesKey]}' is a single value: give a list ({tablesKey}:0, {tablesKey}:1, ... or CDC__TABLES__0, ...) or --tables a,b");
        }

        // Unknown keys under Cdc are refused (naming the closest known one); sizes, durations and booleans are read
        // in one syntax (64MiB, 5s, yes) and handed to the binder in its own, from whichever source they came.
        builder.Configuration.AddInMemoryCollection(SettingsCheck.Normalize(builder.Configuration));

        builder.Logging.ClearProviders();

        // A failed start is reported by cdc itself in one line naming the key; the host's own report adds a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        if (jsonLogs)
        {
            builder.Logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        }

        builder.Services.AddOptions<CdcOptions>()
            .Bind(builder.Configuration.GetSection(CdcOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CdcOptions>, CdcOptionsValidator>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
        builder.Services.AddOptions<HttpEndpointOptions>()
            .Bind(builder.Configuration.GetSection(HttpEndpointOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HttpEndpointOptions>, HttpEndpointOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services => ListenerTelemetry.Create(services.GetRequiredService<TimeProvider>()));

        // Before the worker: a status address that cannot be bound stops the start before replication begins.
        builder.Services.AddHostedService<StatusEndpoint>();
        builder.Services.AddHostedService<CdcWorker>();
        return builder.Build();
    }
}
