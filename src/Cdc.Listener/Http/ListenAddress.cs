using System.Globalization;
using System.Net;

namespace Cdc.Listener.Http;

/// <summary>
/// Parses <c>Cdc:Http:Listen</c>: <c>host:port</c> where host is an IP address (IPv6 in brackets),
/// <c>localhost</c> or <c>*</c> (every interface, e.g. inside a container), or <c>off</c>.
/// </summary>
public static class ListenAddress
{
    public const string Key = "Cdc:Http:Listen";

    /// <summary>What the error message says is accepted.</summary>
    public const string Accepted = "host:port with an IP address, localhost or * as host and a port 1-65535 (e.g. 127.0.0.1:8089), or off";

    public static bool IsOff(string? value) => string.Equals(value?.Trim(), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null with an error when the value is not accepted; null without error for <c>off</c>.</summary>
    public static IPEndPoint? Parse(string? value, out string? error)
    {
        error = null;
        if (IsOff(value))
        {
            return null;
        }

        var text = value?.Trim() ?? string.Empty;
        var colon = text.LastIndexOf(':');
        if (colon <= 0
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            error = $"{Key} = '{value}' is not valid: accepted {Accepted}";
            return null;
        }

        var host = text[..colon];
        IPAddress? address = host switch
        {
            "*" => IPAddress.Any,
            _ when host.Equals("localhost", StringComparison.OrdinalIgnoreCase) => IPAddress.Loopback,
            _ when host.StartsWith('[') && host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out var v6) => v6,
            _ when !host.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(host, out var v4) => v4,
            _ => null,
        };
        if (address is null)
        {
            error = $"{Key} = '{value}' is not valid: accepted {Accepted}";
            return null;
        }

        return new IPEndPoint(address, port);
    }

    /// <summary>The base URL a client uses to reach the endpoint (the wildcard address is reached on loopback).</summary>
    public static Uri BaseUri(IPEndPoint endpoint)
    {
        var address = endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : endpoint.Address;
        var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return new Uri($"http://{host}:{endpoint.Port}/");
    }
}
