using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;
using Cdc.Listener.Source;

namespace Cdc.Listener.Pipeline;

/// <summary>What a replication session runs with: the settings, the source as checked, the negotiated protocol.</summary>
internal sealed record SessionContext(CdcOptions Options, SourceInfo Source, PgOutputOptions Protocol)
{
    /// <summary>Where the stream stood for the slot at start, past the slot's confirmed position; null when it was not ahead.</summary>
    public ResumePoint? Resume { get; init; }

    /// <summary>The table shapes the stream holds; a schema event is published only for a shape not among them. Null: always published.</summary>
    public PublishedSchemas? Schemas { get; init; }

    /// <summary>Where this slot's heartbeats are reported when decoded; null when heartbeats are off.</summary>
    public HeartbeatMonitor? Heartbeat { get; init; }

    /// <summary>The source's PostgreSQL system identifier, sent on every message (<see cref="StreamOrigin.SystemIdHeader"/>); null: not sent.</summary>
    public string? SystemId { get; init; }

    /// <summary>
    /// Headers of every published change: <c>Nats-Expected-Stream</c> makes JetStream refuse a change
    /// that would land in any other stream (a server at the configured address that is not ours, a
    /// subject captured by another stream) instead of acknowledging it — an ack is what moves the slot.
    /// <c>Cdc-System-Id</c> says which PostgreSQL cluster it came from, so that a later start can tell another one.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? PublishHeaders => _publishHeaders ??=
        !string.Equals(Options.Sink, "nats", StringComparison.OrdinalIgnoreCase) ? null
        : SystemId is null ? [new("Nats-Expected-Stream", Options.Nats.Stream)]
        : [new("Nats-Expected-Stream", Options.Nats.Stream), new(StreamOrigin.SystemIdHeader, SystemId)];

    private IReadOnlyList<KeyValuePair<string, string>>? _publishHeaders;

    /// <summary>Chooses the pgoutput protocol and options the server supports.</summary>
    /// <remarks>Called with the server version the read-only checks found, so a setting the server cannot honour stops the start before anything is created.</remarks>
    public static PgOutputOptions Negotiate(CdcOptions options, int serverVersionNum)
    {
        var maxVersion = PgOutputOptions.ProtocolVersionForServer(serverVersionNum);
        var version = options.ProtocolVersion == 0 ? maxVersion : options.ProtocolVersion;
        if (version > maxVersion)
        {
            throw new CdcConfigurationException(
                $"Cdc:ProtocolVersion = {version} is not supported by PostgreSQL {serverVersionNum}: at most {maxVersion}");
        }

        var pg14 = serverVersionNum >= 140000;
        if (options.Binary && !pg14)
        {
            throw new CdcConfigurationException($"Cdc:Binary = true needs PostgreSQL 14 or newer (server is {serverVersionNum})");
        }

        return new PgOutputOptions
        {
            ProtocolVersion = version,
            Binary = options.Binary,
            Messages = options.Messages && pg14,
            Streaming = options.Streaming && version >= 2,
            SpillDirectory = options.SpillDirectory,
            SpillThresholdBytes = Math.Max(1 << 20, options.Pusher.MaxInFlightBytes / 4),
            PublicationNames = [options.Publication],
        };
    }
}
