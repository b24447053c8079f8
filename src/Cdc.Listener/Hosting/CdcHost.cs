using Cdc.Listener.Configuration;
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

        builder.Logging.ClearProviders();
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
        builder.Services.AddSingleton<ListenerStatus>();
        builder.Services.AddHostedService<CdcWorker>();
        return builder.Build();
    }
}
