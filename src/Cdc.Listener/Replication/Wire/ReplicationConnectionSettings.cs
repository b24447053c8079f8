using System.Globalization;
using Npgsql;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// What the replication connection needs from an Npgsql connection string. Npgsql's builder parses it (so the
/// setup queries and the replication stream read the same keys the same way); this picks the parts a
/// replication connection uses and refuses the ones it cannot honour instead of ignoring them.
/// </summary>
public sealed record ReplicationConnectionSettings
{
    public const int DefaultPort = 5432;

    public required IReadOnlyList<(string Host, int Port)> Endpoints { get; init; }

    public required string User { get; init; }

    /// <summary>Password from the connection string or PGPASSWORD; null means look in the password file.</summary>
    public string? Password { get; init; }

    /// <summary>The password file (Npgsql's Passfile); null means PGPASSFILE or ~/.pgpass.</summary>
    public string? Passfile { get; init; }

    /// <summary>The password for one endpoint: <see cref="Password"/>, else the password file's entry for that host and port.</summary>
    public string? PasswordFor(string host, int port) => Password ?? PgPassFile.FindPassword(Passfile, host, port, Database, User);

    public required string Database { get; init; }

    public SslMode SslMode { get; init; } = SslMode.Prefer;

    /// <summary>CA certificate file (PEM) for VerifyCA / VerifyFull; the system store when null.</summary>
    public string? RootCertificate { get; init; }

    /// <summary>Client certificate: a PEM file with <see cref="SslKey"/>, or a PKCS#12 file.</summary>
    public string? SslCertificate { get; init; }

    public string? SslKey { get; init; }

    public string? SslPassword { get; init; }

    /// <summary>Time to connect, negotiate TLS and log in, per host; infinite when zero.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public string? ApplicationName { get; init; }

    /// <summary>The startup <c>options</c> parameter (command-line style <c>-c name=value</c> settings).</summary>
    public string? Options { get; init; }

    /// <summary>SO_RCVBUF (Npgsql's Socket Receive Buffer Size); 0 leaves it to the kernel's autotuning.</summary>
    public int ReceiveBufferSize { get; init; }

    /// <summary>
    /// TCP keepalive probes start after this much silence (then every <see cref="KeepAliveInterval"/>, 3 probes):
    /// a peer that vanished without a FIN or RST is noticed in about a minute, not after the kernel's two hours.
    /// </summary>
    public TimeSpan KeepAliveTime { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    public static ReplicationConnectionSettings From(string connectionString, string? extraOptions = null)
        => From(new NpgsqlConnectionStringBuilder(connectionString), extraOptions);

    public static ReplicationConnectionSettings From(NpgsqlConnectionStringBuilder builder, string? extraOptions = null)
    {
        if (builder.GssEncryptionMode == GssEncryptionMode.Require)
        {
            throw new CdcConfigurationException("Cdc:Connection: 'GSS Encryption Mode=Require' is not supported by the replication connection; use SSL Mode");
        }

        if (builder.ChannelBinding == ChannelBinding.Require)
        {
            throw new CdcConfigurationException("Cdc:Connection: 'Channel Binding=Require' is not supported by the replication connection (SCRAM-SHA-256 without channel binding is used)");
        }

        var endpoints = ParseEndpoints(builder.Host, builder.Port);
        var user = builder.Username
            ?? Environment.GetEnvironmentVariable("PGUSER")
            ?? Environment.UserName;
        var database = builder.Database ?? Environment.GetEnvironmentVariable("PGDATABASE") ?? user;
        var password = builder.Password ?? Environment.GetEnvironmentVariable("PGPASSWORD");

        var keepAlive = builder.TcpKeepAliveTime > 0 ? TimeSpan.FromSeconds(builder.TcpKeepAliveTime) : TimeSpan.FromSeconds(30);
        var keepAliveInterval = builder.TcpKeepAliveInterval > 0 ? TimeSpan.FromSeconds(builder.TcpKeepAliveInterval) : TimeSpan.FromSeconds(10);
        return new ReplicationConnectionSettings
        {
            Endpoints = endpoints,
            User = user,
            Password = password,
            Passfile = NullIfEmpty(builder.Passfile),
            Database = database,
            SslMode = builder.SslMode,
            RootCertificate = NullIfEmpty(builder.RootCertificate),
            SslCertificate = NullIfEmpty(builder.SslCertificate),
            SslKey = NullIfEmpty(builder.SslKey),
            SslPassword = NullIfEmpty(builder.SslPassword),
            ConnectTimeout = builder.Timeout > 0 ? TimeSpan.FromSeconds(builder.Timeout) : Timeout.InfiniteTimeSpan,
            ApplicationName = NullIfEmpty(builder.ApplicationName) ?? "cdc",
            Options = string.Join(' ', new[] { builder.Options, extraOptions }.Where(o => !string.IsNullOrWhiteSpace(o))),
            ReceiveBufferSize = builder.SocketReceiveBufferSize,
            KeepAliveTime = keepAlive,
            KeepAliveInterval = keepAliveInterval,
        };
    }

    /// <summary>Npgsql's Host: a comma-separated list, each entry optionally with its own <c>:port</c>.</summary>
    private static List<(string Host, int Port)> ParseEndpoints(string? hosts, int defaultPort)
    {
        var result = new List<(string, int)>();
        var list = string.IsNullOrWhiteSpace(hosts) ? Environment.GetEnvironmentVariable("PGHOST") ?? "localhost" : hosts;
        foreach (var raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var host = raw;
            var port = defaultPort;
            var colon = raw.LastIndexOf(':');

            // A Unix socket directory or a bracketed IPv6 address may contain colons that are not a port.
            if (colon > 0 && !raw.StartsWith('/') && (raw.Count(c => c == ':') == 1 || raw.StartsWith('[')) && raw.IndexOf(']', StringComparison.Ordinal) < colon)
            {
                if (!int.TryParse(raw.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                {
                    throw new CdcConfigurationException($"Cdc:Connection: host '{raw}' has an invalid port (expected 1-65535)");
                }

                host = raw[..colon];
            }

            result.Add((host.Trim('[', ']'), port));
        }

        if (result.Count == 0)
        {
            throw new CdcConfigurationException("Cdc:Connection: no host given");
        }

        return result;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    public override string ToString()
        => $"{string.Join(',', Endpoints.Select(e => $"{e.Host}:{e.Port}"))}/{Database} as {User}";
}
