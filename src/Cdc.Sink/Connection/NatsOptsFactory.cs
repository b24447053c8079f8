using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;

namespace Cdc.Sink.Connection;

/// <summary>Turns Cdc's <see cref="NatsOptions"/> into NATS.Net's <see cref="NatsOpts"/> and opens connections with them.</summary>
public static class NatsOptsFactory
{
    public static NatsOpts Create(NatsOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new NatsOpts
        {
            Url = string.Join(",", options.Urls),
            Name = options.Name,
            AuthOpts = new NatsAuthOpts
            {
                Username = options.User,
                Password = options.Password,
                Token = options.Token,

                // Read at every connect, so a rotated seed file is picked up on reconnect.
                AuthCredCallback = options.NKeySeedFile is { } seedFile
                    ? async (_, cancellationToken) => NatsAuthCred.FromNkey(await NKeySeedFile.ReadAsync(seedFile, cancellationToken).ConfigureAwait(false))
                    : null,
                CredsFile = options.CredsFile,
            },
            TlsOpts = new NatsTlsOpts
            {
                Mode = options.TlsMode switch
                {
                    NatsTlsMode.Require => TlsMode.Require,
                    NatsTlsMode.TlsFirst => TlsMode.Implicit,
                    _ => TlsMode.Auto,
                },

                // NATS.Net accepts a server certificate only when its chain ends in one of these CAs.
                CaFile = options.TlsCaFile,
                CertFile = options.TlsCertFile,
                KeyFile = options.TlsKeyFile,
            },
            NoRandomize = options.NoRandomize,
            ConnectTimeout = options.ConnectTimeout,
            PingInterval = options.PingInterval,
            MaxPingOut = options.MaxPingsOut,
            ReconnectWaitMin = options.ReconnectWaitMin,
            ReconnectWaitMax = options.ReconnectWaitMax,
            ReconnectJitter = options.ReconnectJitter,
            MaxReconnectRetry = options.MaxReconnectAttempts,
            RequestTimeout = options.RequestTimeout,
            CommandTimeout = options.RequestTimeout,
            WriterBufferSize = options.WriteBufferBytes,
            HeaderEncoding = Encoding.UTF8,
            LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
        };
    }

    /// <summary>
    /// A connection (not yet connected) with Cdc's settings: discovery limited to the seeds when
    /// <see cref="NatsOptions.DiscoverServers"/> is off, and connection events logged.
    /// </summary>
    public static NatsConnection Connect(NatsOptions options, ILoggerFactory? loggerFactory = null)
    {
        var connection = new NatsConnection(Create(options, loggerFactory));
        if (!options.DiscoverServers)
        {
            connection.OnConnectingAsync = new SeedsOnly(options.Urls).RedirectAsync;
        }

        ConnectionEvents.Attach(connection, loggerFactory?.CreateLogger("Cdc.Sink.Connection") ?? NullLogger.Instance);
        return connection;
    }
}
