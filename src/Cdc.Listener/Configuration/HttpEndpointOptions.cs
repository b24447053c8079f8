namespace Cdc.Listener.Configuration;

/// <summary>Settings of the status endpoint: section <c>Cdc:Http</c>.</summary>
public sealed class HttpEndpointOptions
{
    public const string SectionName = "Cdc:Http";

    public const string DefaultListen = "127.0.0.1:8089";

    /// <summary>host:port to listen on (an IP address or localhost), or <c>off</c>.</summary>
    public string Listen { get; set; } = DefaultListen;

    /// <summary>
    /// Also export NATS.Net's own client metrics (meter <c>NATS.Net</c>: messages published and consumed, operation
    /// duration, reconnects, bytes) on <c>/metrics</c>. Off by default: NATS.Net then measures per message.
    /// </summary>
    public bool NatsClientMetrics { get; set; }
}
