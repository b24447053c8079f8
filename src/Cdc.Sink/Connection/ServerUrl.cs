namespace Cdc.Sink.Connection;

/// <summary>Checks and redacts server URLs (credentials in a URL are never shown).</summary>
public static class ServerUrl
{
    private static readonly string[] Schemes = ["nats", "tls", "ws", "wss"];

    public static bool IsValid(string url)
    {
        var text = url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri)
            && !string.IsNullOrEmpty(uri.Host)
            && Schemes.Contains(uri.Scheme, StringComparer.Ordinal);
    }

    /// <summary>The URL with any user info replaced by <c>***</c>.</summary>
    public static string Redact(string url)
    {
        var at = url.LastIndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 ? (scheme >= 0 ? url[..(scheme + 3)] : string.Empty) + "***@" + url[(at + 1)..] : url;
    }

    /// <summary><c>host:port</c> of a URL (port 4222 when none is given), to compare a server with the seeds.</summary>
    internal static (string Host, int Port) Endpoint(string url)
    {
        var text = url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url;
        var uri = new Uri(text);
        return (uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 4222 : uri.Port);
    }
}
