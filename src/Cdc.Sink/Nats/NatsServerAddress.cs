namespace Cdc.Sink.Nats;

/// <summary>A parsed server URL. <see cref="Display"/> never contains credentials.</summary>
internal sealed record NatsServerAddress(string Host, int Port, bool Tls, string? User, string? Password, string? Token)
{
    public string Display => $"{(Tls ? "tls" : "nats")}://{Host}:{Port}";

    /// <summary>Accepts <c>nats://</c>, <c>tls://</c> and bare <c>host:port</c> (as announced in connect_urls).</summary>
    public static NatsServerAddress Parse(string url)
    {
        var text = url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new SinkConfigurationException("Nats:Urls", $"'{Redact(url)}' is not a server URL (nats://host:port or tls://host:port)");
        }

        var tls = uri.Scheme switch
        {
            "nats" => false,
            "tls" => true,
            _ => throw new SinkConfigurationException("Nats:Urls", $"scheme '{uri.Scheme}' is not nats or tls"),
        };
        string? user = null, password = null, token = null;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            if (parts.Length == 2)
            {
                user = Uri.UnescapeDataString(parts[0]);
                password = Uri.UnescapeDataString(parts[1]);
            }
            else
            {
                token = Uri.UnescapeDataString(parts[0]);
            }
        }

        return new NatsServerAddress(uri.Host, uri.Port > 0 ? uri.Port : 4222, tls, user, password, token);
    }

    public override string ToString() => Display;

    private static string Redact(string url)
    {
        var at = url.LastIndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 ? (scheme >= 0 ? url[..(scheme + 3)] : string.Empty) + "***@" + url[(at + 1)..] : url;
    }
}
