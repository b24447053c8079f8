namespace Cdc.Sink.Nats;

/// <summary>
/// How to reach NATS. Immutable; <see cref="Validate"/> fails fast naming the bad key (section <c>Nats</c>).
/// Credentials may also be given in a URL (<c>nats://user:pass@host</c> or <c>nats://token@host</c>);
/// they are never logged.
/// </summary>
public sealed record NatsOptions
{
    /// <summary>Seed servers (<c>nats://host:port</c> or <c>tls://host:port</c>), tried in order.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["nats://127.0.0.1:4222"];

    /// <summary>Connection name shown by the server (<c>connz</c>).</summary>
    public string Name { get; init; } = "cdc";

    public string? User { get; init; }

    public string? Password { get; init; }

    public string? Token { get; init; }

    /// <summary>Require TLS even for <c>nats://</c> URLs (TLS is also used when the server requires it).</summary>
    public bool TlsRequired { get; init; }

    /// <summary>PEM file of the CA that signed the server certificate (otherwise the system trust store).</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>PEM client certificate (with <see cref="TlsKeyFile"/>) for servers that verify clients.</summary>
    public string? TlsCertFile { get; init; }

    public string? TlsKeyFile { get; init; }

    /// <summary>Follow the <c>connect_urls</c> the server announces (cluster members).</summary>
    public bool DiscoverServers { get; init; } = true;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the client PINGs; after <see cref="MaxPingsOut"/> unanswered PINGs the connection is stale.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxPingsOut { get; init; } = 2;

    /// <summary>First reconnect delay; doubles per failed round up to <see cref="ReconnectWaitMax"/>, plus jitter.</summary>
    public TimeSpan ReconnectWaitMin { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ReconnectWaitMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Random extra delay, as a fraction of the delay (0..1).</summary>
    public double ReconnectJitter { get; init; } = 0.2;

    /// <summary>Reconnect attempts before the connection is closed for good; -1 = forever.</summary>
    public int MaxReconnectAttempts { get; init; } = -1;

    /// <summary>Default timeout of request/reply (JetStream API calls).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Outgoing bytes buffered before publishers wait (the write pipe's pause threshold).</summary>
    public int WriteBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Incoming bytes buffered before the socket is no longer read (the read pipe's pause threshold).</summary>
    public int ReadBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Messages a subscription buffers before the reader waits for its consumer.</summary>
    public int SubscriptionCapacity { get; init; } = 65_536;

    public void Validate()
    {
        if (Urls.Count == 0)
        {
            throw new SinkConfigurationException("Nats:Urls", "at least one server URL is required");
        }

        foreach (var url in Urls)
        {
            _ = NatsServerAddress.Parse(url);
        }

        Range("Nats:ConnectTimeout", ConnectTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Range("Nats:PingInterval", PingInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range("Nats:ReconnectWaitMin", ReconnectWaitMin, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        Range("Nats:ReconnectWaitMax", ReconnectWaitMax, ReconnectWaitMin, TimeSpan.FromMinutes(10));
        Range("Nats:RequestTimeout", RequestTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        Range("Nats:MaxPingsOut", MaxPingsOut, 1, 100);
        Range("Nats:MaxReconnectAttempts", MaxReconnectAttempts, -1, int.MaxValue);
        Range("Nats:WriteBufferBytes", WriteBufferBytes, 64 * 1024, 1024 * 1024 * 1024);
        Range("Nats:ReadBufferBytes", ReadBufferBytes, 64 * 1024, 1024 * 1024 * 1024);
        Range("Nats:SubscriptionCapacity", SubscriptionCapacity, 1, 10_000_000);
        if (ReconnectJitter is < 0 or > 1 || double.IsNaN(ReconnectJitter))
        {
            throw new SinkConfigurationException("Nats:ReconnectJitter", $"{ReconnectJitter} is outside 0..1");
        }

        if ((TlsCertFile is null) != (TlsKeyFile is null))
        {
            throw new SinkConfigurationException("Nats:TlsCertFile", "a client certificate needs both TlsCertFile and TlsKeyFile");
        }

        if (Token is not null && User is not null)
        {
            throw new SinkConfigurationException("Nats:Token", "give either Token or User/Password, not both");
        }

        foreach (var (key, file) in new[] { ("Nats:TlsCaFile", TlsCaFile), ("Nats:TlsCertFile", TlsCertFile), ("Nats:TlsKeyFile", TlsKeyFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                throw new SinkConfigurationException(key, $"file '{file}' does not exist");
            }
        }
    }

    /// <summary>Hides secrets: records print every property otherwise.</summary>
    public override string ToString() =>
        $"NatsOptions {{ Urls = [{string.Join(", ", Urls.Select(u => NatsServerAddress.Parse(u).Display))}], Name = {Name}, " +
        $"Auth = {(Token is not null ? "token" : User is not null ? "user/password" : "none")}, Tls = {TlsRequired || TlsCaFile is not null} }}";

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
