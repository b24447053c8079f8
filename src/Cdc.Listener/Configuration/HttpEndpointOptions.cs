namespace Cdc.Listener.Configuration;

/// <summary>Settings of the status endpoint: section <c>Cdc:Http</c>.</summary>
public sealed class HttpEndpointOptions
{
    public const string SectionName = "Cdc:Http";

    public const string DefaultListen = "127.0.0.1:8089";

    /// <summary>host:port to listen on (an IP address or localhost), or <c>off</c>.</summary>
    public string Listen { get; set; } = DefaultListen;
}
