using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Source;

namespace Cdc.Listener.Pipeline;

/// <summary>What a replication session runs with: the settings, the source as checked, the negotiated protocol.</summary>
internal sealed record SessionContext(CdcOptions Options, SourceInfo Source, PgOutputOptions Protocol)
{
    /// <summary>
    /// Headers of every published change: <c>Nats-Expected-Stream</c> makes JetStream refuse a change
    /// that would land in any other stream (a server at the configured address that is not ours, a
    /// subject captured by another stream) instead of acknowledging it — an ack is what moves the slot.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? PublishHeaders { get; } =
        string.Equals(Options.Sink, "nats", StringComparison.OrdinalIgnoreCase)
            ? [new("Nats-Expected-Stream", Options.Nats.Stream)]
            : null;

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
