using System.Text.Json.Serialization;

namespace Cdc.Sink.Nats;

/// <summary>The server's <c>INFO</c> (the fields this client uses).</summary>
public sealed record ServerInfo
{
    [JsonPropertyName("server_id")]
    public string ServerId { get; init; } = string.Empty;

    [JsonPropertyName("server_name")]
    public string? ServerName { get; init; }

    [JsonPropertyName("version")]
    public string Version { get; init; } = string.Empty;

    [JsonPropertyName("proto")]
    public int Proto { get; init; }

    [JsonPropertyName("headers")]
    public bool Headers { get; init; }

    [JsonPropertyName("max_payload")]
    public long MaxPayload { get; init; } = 1024 * 1024;

    [JsonPropertyName("jetstream")]
    public bool JetStream { get; init; }

    [JsonPropertyName("auth_required")]
    public bool AuthRequired { get; init; }

    [JsonPropertyName("tls_required")]
    public bool TlsRequired { get; init; }

    [JsonPropertyName("tls_verify")]
    public bool TlsVerify { get; init; }

    [JsonPropertyName("nonce")]
    public string? Nonce { get; init; }

    [JsonPropertyName("connect_urls")]
    public IReadOnlyList<string>? ConnectUrls { get; init; }

    [JsonPropertyName("ldm")]
    public bool LameDuckMode { get; init; }

    [JsonPropertyName("cluster")]
    public string? Cluster { get; init; }
}

/// <summary>The client's <c>CONNECT</c>.</summary>
internal sealed record ConnectMessage
{
    [JsonPropertyName("verbose")]
    public bool Verbose { get; init; }

    [JsonPropertyName("pedantic")]
    public bool Pedantic { get; init; }

    [JsonPropertyName("tls_required")]
    public bool TlsRequired { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("lang")]
    public string Lang { get; init; } = ".NET-cdc";

    [JsonPropertyName("version")]
    public string Version { get; init; } = "1.0.0";

    [JsonPropertyName("protocol")]
    public int Protocol { get; init; } = 1;

    [JsonPropertyName("echo")]
    public bool Echo { get; init; } = true;

    [JsonPropertyName("headers")]
    public bool Headers { get; init; } = true;

    [JsonPropertyName("no_responders")]
    public bool NoResponders { get; init; } = true;

    [JsonPropertyName("user")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? User { get; init; }

    [JsonPropertyName("pass")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Pass { get; init; }

    [JsonPropertyName("auth_token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AuthToken { get; init; }
}

[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(ConnectMessage))]
internal sealed partial class NatsJsonContext : JsonSerializerContext
{
}
