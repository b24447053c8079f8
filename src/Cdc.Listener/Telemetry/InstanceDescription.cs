using Cdc.Listener.Configuration;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// What this instance is: the slot and publication it reads, the database, the sink and stream it writes, the protocol
/// and the in-flight budget. Immutable; <see cref="SessionStatus.Instance"/> is replaced whole when the server has told
/// what only it knows (the database, the protocol version).
/// </summary>
public sealed record InstanceDescription
{
    private readonly string? _sinkServer;

    public string Slot { get; init; } = string.Empty;

    public string Publication { get; init; } = string.Empty;

    /// <summary>Empty until the source has been prepared.</summary>
    public string Database { get; init; } = string.Empty;

    public string Sink { get; init; } = string.Empty;

    /// <summary>The sink's server URLs as shown, with passwords and tokens masked.</summary>
    public string? SinkServer
    {
        get => _sinkServer;
        init => _sinkServer = UrlRedaction.RedactOrNull(value);
    }

    public string? Stream { get; init; }

    /// <summary>The pgoutput protocol version negotiated with the server; 0 until the source has been prepared.</summary>
    public int ProtocolVersion { get; init; }

    public long MaxInFlightBytes { get; init; }
}
