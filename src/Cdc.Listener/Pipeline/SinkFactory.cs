using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;
using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Cdc.Sink;
using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Pipeline;

/// <summary>Builds the configured sink; wraps sink errors into the listener's transient/fatal split.</summary>
internal static class SinkFactory
{
    public static IMessageSink Create(CdcOptions options, IAckHandler acks, SinkStatus status, ILoggerFactory loggerFactory)
    {
        if (string.Equals(options.Sink, "null", StringComparison.OrdinalIgnoreCase))
        {
            var nullSink = new NullSink(acks);
            status.Attach(nullSink, pendingAcks: null);
            return nullSink;
        }

        var n = options.Nats;
        var nats = NatsOptionsFrom(options, "cdc:" + options.Slot);
        var stream = StreamOptionsFrom(options);
        var batch = new BatchWriterOptions
        {
            MaxRows = n.BatchMaxRows,
            MaxBytes = n.BatchMaxBytes,
            Timeout = n.BatchTimeout,
            MaxPendingAcks = n.MaxPendingAcks,
            NoStreamRetryTime = n.RefusalRetryTime,
            OversizePolicy = string.Equals(n.OversizePolicy, "reference", StringComparison.OrdinalIgnoreCase) ? OversizePolicy.PublishReference : OversizePolicy.Fail,
            DescribeOmitted = OmittedPayload.Describe,
        };
        try
        {
            nats.Validate();
            stream.Validate();
            batch.Validate();
        }
        catch (SinkConfigurationException e)
        {
            throw new CdcConfigurationException(e.Message);
        }

        var writer = new StreamingBatchWriter(nats, stream, batch, acks, loggerFactory);
        status.Attach(writer, () => writer.PendingAcks);
        return new SinkStartGuard(writer);
    }

    /// <summary>The sink's server as <c>/status</c> shows it (the NATS URLs; masked when shown) and its stream (none for the null sink).</summary>
    public static (string Server, string? Stream) Target(CdcOptions options)
        => string.Equals(options.Sink, "null", StringComparison.OrdinalIgnoreCase)
            ? ("(null sink)", null)
            : (string.Join(",", NatsOptionsFrom(options, "cdc:" + options.Slot).Urls), options.Nats.Stream);

    /// <summary>Cdc's NATS settings as the sink's connection options (<c>cdc run</c> and <c>cdc check</c> alike).</summary>
    internal static NatsOptions NatsOptionsFrom(CdcOptions options, string clientName)
    {
        var n = options.Nats;
        return new NatsOptions
        {
            Urls = n.Url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Name = clientName,
            User = n.User,
            Password = n.Password,
            Token = n.Token,
            NKeySeedFile = NullIfEmpty(n.NKeySeedFile),
            CredsFile = NullIfEmpty(n.CredsFile),
            TlsMode = n.TlsMode.ToLowerInvariant() switch
            {
                "require" => NatsTlsMode.Require,
                "first" => NatsTlsMode.TlsFirst,
                _ => NatsTlsMode.Auto,
            },
            TlsCaFile = n.TlsCaFile,
            TlsCertFile = n.TlsCertFile,
            TlsKeyFile = n.TlsKeyFile,
            DiscoverServers = n.DiscoverServers,
            NoRandomize = n.NoRandomize,
            PingInterval = n.PingInterval,
        };
    }

    /// <summary>The stream Cdc creates or validates.</summary>
    internal static JetStreamStreamOptions StreamOptionsFrom(CdcOptions options)
    {
        var n = options.Nats;
        return new JetStreamStreamOptions
        {
            Name = n.Stream,
            Subjects = [n.SubjectPrefix + ".>"],
            Storage = string.Equals(n.Storage, "memory", StringComparison.OrdinalIgnoreCase) ? StreamStorage.Memory : StreamStorage.File,
            Replicas = n.Replicas,
            DuplicateWindow = n.DuplicateWindow,
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Maps the sink's start errors (server down, stream refused) to transient or fatal listener errors.</summary>
    private sealed class SinkStartGuard(StreamingBatchWriter inner) : IMessageSink, IStreamHistory, IStreamMessageIds
    {
        public async Task StartAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SinkException e)
            {
                throw e.IsTransient
                    ? new SinkUnavailableException($"NATS: {e.Message}", e)
                    : new SinkDeliveryException($"NATS refused the setup: {e.Message}", e);
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                throw new SinkUnavailableException($"NATS: {e.Message}", e);
            }
        }

        public ValueTask WriteAsync(OutboundMessage message, CancellationToken cancellationToken = default) => inner.WriteAsync(message, cancellationToken);

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, CancellationToken cancellationToken = default)
            => inner.FindNewestAsync(idMatches, maxScan, cancellationToken);

        public Task<IReadOnlyList<StoredMessage>> LastPerSubjectAsync(string subjectFilter, CancellationToken cancellationToken = default)
            => inner.LastPerSubjectAsync(subjectFilter, cancellationToken);

        public Task<IReadOnlyList<string>> ReadMessageIdsAsync(string subjectFilter, int maxScan, CancellationToken cancellationToken = default)
            => inner.ReadMessageIdsAsync(subjectFilter, maxScan, cancellationToken);
    }
}

/// <summary>The broker cannot be reached right now: retried with backoff.</summary>
public sealed class SinkUnavailableException(string message, Exception innerException)
    : CdcException(message, isTransient: true, innerException);
