namespace Cdc.Sink.Connection;

/// <summary>How TLS is used with the server.</summary>
public enum NatsTlsMode
{
    /// <summary>TLS when a URL is <c>tls://</c> or <c>wss://</c>, a TLS file is given, or the server requires it.</summary>
    Auto,

    /// <summary>Always TLS (upgrade after the server's INFO).</summary>
    Require,

    /// <summary>TLS handshake first, before the server's INFO (server option <c>handshake_first</c>).</summary>
    TlsFirst,
}

/// <summary>
/// How to reach NATS (section <c>Nats</c>); turned into NATS.Net's <c>NatsOpts</c> by <see cref="NatsOptsFactory"/>.
/// Immutable; <see cref="Validate"/> fails fast naming the bad key. Credentials are never logged.
/// </summary>
public sealed record NatsOptions
{
    /// <summary>Seed servers: <c>nats://</c>, <c>tls://</c>, <c>ws://</c> or <c>wss://</c>.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["nats://127.0.0.1:4222"];

    /// <summary>Connection name shown by the server (<c>connz</c>).</summary>
    public string Name { get; init; } = "cdc";

    public string? User { get; init; }

    public string? Password { get; init; }

    public string? Token { get; init; }

    /// <summary>File holding an NKey seed (<c>SU...</c>): the client signs the server's nonce with it.</summary>
    public string? NKeySeedFile { get; init; }

    /// <summary>A <c>.creds</c> file (user JWT and NKey seed) for servers in operator mode.</summary>
    public string? CredsFile { get; init; }

    public NatsTlsMode TlsMode { get; init; } = NatsTlsMode.Auto;

    /// <summary>PEM CA file: only certificates chaining to one of these CAs are trusted (not the system store).</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>PEM client certificate (with <see cref="TlsKeyFile"/>) for servers that verify clients.</summary>
    public string? TlsCertFile { get; init; }

    public string? TlsKeyFile { get; init; }

    /// <summary>Also connect to the cluster members the server announces (<c>connect_urls</c>); otherwise only to the seed URLs.</summary>
    public bool DiscoverServers { get; init; } = true;

    /// <summary>Try servers in the given order instead of shuffling them.</summary>
    public bool NoRandomize { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the client PINGs; after <see cref="MaxPingsOut"/> unanswered PINGs the connection is stale.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxPingsOut { get; init; } = 2;

    public TimeSpan ReconnectWaitMin { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ReconnectWaitMax { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ReconnectJitter { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Reconnect attempts before the connection is closed for good; -1 = forever.</summary>
    public int MaxReconnectAttempts { get; init; } = -1;

    /// <summary>Timeout of request/reply (JetStream API calls).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Outgoing bytes buffered before publishers wait.</summary>
    public int WriteBufferBytes { get; init; } = 1024 * 1024;

    public void Validate()
    {
        if (Urls.Count == 0)
        {
            throw new SinkConfigurationException("Nats:Urls", "at least one server URL is required");
        }

        foreach (var url in Urls)
        {
            if (!ServerUrl.IsValid(url))
            {
                throw new SinkConfigurationException("Nats:Urls", $"'{ServerUrl.Redact(url)}' is not a server URL (nats://, tls://, ws:// or wss:// host:port)");
            }
        }

        Range("Nats:ConnectTimeout", ConnectTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Range("Nats:PingInterval", PingInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range("Nats:ReconnectWaitMin", ReconnectWaitMin, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        Range("Nats:ReconnectWaitMax", ReconnectWaitMax, ReconnectWaitMin, TimeSpan.FromMinutes(10));
        Range("Nats:ReconnectJitter", ReconnectJitter, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Range("Nats:RequestTimeout", RequestTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        Range("Nats:MaxPingsOut", MaxPingsOut, 1, 100);
        Range("Nats:MaxReconnectAttempts", MaxReconnectAttempts, -1, int.MaxValue);
        Range("Nats:WriteBufferBytes", WriteBufferBytes, 64 * 1024, 1024 * 1024 * 1024);
        if ((TlsCertFile is null) != (TlsKeyFile is null))
        {
            throw new SinkConfigurationException("Nats:TlsCertFile", "a client certificate needs both TlsCertFile and TlsKeyFile");
        }

        var methods = new[] { Token is not null, User is not null, NKeySeedFile is not null, CredsFile is not null }.Count(set => set);
        if (methods > 1)
        {
            throw new SinkConfigurationException("Nats:Token", "give one of Token, User/Password, NKeySeedFile or CredsFile");
        }

        if (!Enum.IsDefined(TlsMode))
        {
            throw new SinkConfigurationException("Nats:TlsMode", $"'{TlsMode}' is not Auto, Require or TlsFirst");
        }

        foreach (var (key, file) in new[] { ("Nats:TlsCaFile", TlsCaFile), ("Nats:TlsCertFile", TlsCertFile), ("Nats:TlsKeyFile", TlsKeyFile), ("Nats:NKeySeedFile", NKeySeedFile), ("Nats:CredsFile", CredsFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                throw new SinkConfigurationException(key, $"file '{file}' does not exist");
            }
        }
    }

    /// <summary>Hides secrets: records print every property otherwise.</summary>
    public override string ToString() =>
        $"NatsOptions {{ Urls = [{string.Join(", ", Urls.Select(ServerUrl.Redact))}], Name = {Name}, Auth = {AuthMethod}, Tls = {TlsMode}{(TlsCaFile is null ? string.Empty : " (CA file)")} }}";

    internal string AuthMethod =>
        Token is not null ? "token" : User is not null ? "user/password" : NKeySeedFile is not null ? "nkey" : CredsFile is not null ? "creds" : "none";

    internal static void Range(string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            throw new SinkConfigurationException(key, $"{value} is outside {min}..{max}");
        }
    }

    internal static void Range(string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            throw new SinkConfigurationException(key, $"{value} is outside {min}..{max}");
        }
    }
}
