using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Cdc.Testing;

/// <summary>
/// A throwaway PostgreSQL with <c>wal_level=logical</c> in a container (Testcontainers.PostgreSql, image
/// <c>cdc-test/postgres:MAJOR</c> built by scripts/setup), published on a fixed 127.0.0.1 port that stays the
/// same across <see cref="StopAsync"/>, <see cref="CrashAsync"/> and <see cref="StartExistingAsync"/>, so clients
/// reconnect to the same address. Trust authentication; superuser <c>postgres</c>. Disposing removes the container.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>The uid and gid of the postgres user in the images (docker/postgres-image/build).</summary>
    public const uint PostgresUid = 999;

    private const string DataDirectory = "/var/lib/postgresql/data";

    private readonly PostgreSqlContainer _container;
    private readonly ContainerLog _log;
    private bool _disposed;

    static PostgresServer() => DockerEnvironment.Apply();

    private PostgresServer(PostgresVersion version, string root, int port, PostgreSqlContainer container, ContainerLog log)
    {
        Version = version;
        Root = root;
        Port = port;
        _container = container;
        _log = log;
    }

    public PostgresVersion Version { get; }

    /// <summary>A directory on this machine for the server's files: its Unix socket (<see cref="SocketDirectory"/>).</summary>
    public string Root { get; }

    public int Port { get; }

    public bool IsRunning { get; private set; }

    /// <summary>The directory of the server's Unix socket, shared with the container: a Host for a local connection.</summary>
    public string SocketDirectory => Root;

    /// <summary>Connection string for the given database as superuser.</summary>
    public string ConnectionString(string database = "postgres")
        => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            Pooling = false,
            Timeout = 15,
            CommandTimeout = 120,
        }.ConnectionString;

    /// <summary>Starts a fresh server of <paramref name="version"/> with the defaults of <see cref="PostgresSettings"/> and <paramref name="settings"/>.</summary>
    /// <param name="settings">Server settings over the defaults.</param>
    /// <param name="version">The PostgreSQL major version.</param>
    /// <param name="messagesLanguage">
    /// A language code (<c>de</c>) the server's messages are translated to, to show that Cdc never reads them: the image
    /// has the translations but no locale besides C.UTF-8, and with <c>lc_messages = 'C.UTF-8'</c> gettext follows
    /// <c>LANGUAGE</c>.
    /// </param>
    public static Task<PostgresServer> StartAsync(
        IReadOnlyDictionary<string, string>? settings = null, PostgresVersion version = PostgresVersion.V15, string? messagesLanguage = null)
        => messagesLanguage is null
            ? LaunchAsync(settings, version, static b => b)
            : LaunchAsync(new Dictionary<string, string>(settings ?? new Dictionary<string, string>()) { ["lc_messages"] = "'C.UTF-8'" }, version,
                b => b.WithEnvironment("LANGUAGE", messagesLanguage));

    /// <summary>
    /// Starts a fresh server reachable from other containers on <paramref name="network"/> as <paramref name="alias"/>
    /// (a primary for <see cref="StartStandbyAsync"/>).
    /// </summary>
    public static Task<PostgresServer> StartAsync(
        INetwork network, string alias, IReadOnlyDictionary<string, string>? settings = null, PostgresVersion version = PostgresVersion.V15)
        => LaunchAsync(settings, version, b => b.WithNetwork(network).WithNetworkAliases(alias));

    /// <summary>
    /// Starts a streaming-replication standby of the server known as <paramref name="primaryAlias"/> on
    /// <paramref name="network"/>: the container's first step is <c>pg_basebackup -R</c> from it (as the postgres user,
    /// creating the physical slot <paramref name="physicalSlot"/> on the primary and naming it in primary_slot_name,
    /// with <c>dbname=postgres</c> in primary_conninfo, which PostgreSQL 17's slot synchronization needs), then the
    /// image's usual entry point runs the copy as a hot standby with <see cref="PostgresSettings.Defaults"/> and
    /// <paramref name="settings"/>.
    /// </summary>
    public static Task<PostgresServer> StartStandbyAsync(
        INetwork network, string primaryAlias, string physicalSlot, IReadOnlyDictionary<string, string>? settings = null, PostgresVersion version = PostgresVersion.V15)
    {
        var backup = $"""
            set -e
            if [ ! -s "$PGDATA/PG_VERSION" ]; then
              mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
              setpriv --reuid=postgres --regid=postgres --init-groups pg_basebackup --host={primaryAlias} --port=5432 --username=postgres \
                --dbname='dbname=postgres' --pgdata="$PGDATA" --write-recovery-conf --wal-method=stream --create-slot --slot={physicalSlot} --checkpoint=fast
            fi
            exec /usr/local/bin/entrypoint "$0" "$@"
            """;
        return LaunchAsync(settings, version, b => b.WithNetwork(network).WithEntrypoint("bash", "-c", backup));
    }

    private static async Task<PostgresServer> LaunchAsync(
        IReadOnlyDictionary<string, string>? settings, PostgresVersion version, Func<PostgreSqlBuilder, PostgreSqlBuilder> customize)
    {
        var root = Path.Combine(Path.GetTempPath(), "cdc-test-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var port = FreePort.Next();
        var log = new ContainerLog();
        var merged = PostgresSettings.Merge(settings);

        var builder = new PostgreSqlBuilder(ImageTag(version))
            .WithPassword("postgres")
            .WithEnvironment("POSTGRES_HOST_AUTH_METHOD", "trust")
            .WithPortBinding(port, PostgreSqlBuilder.PostgreSqlPort)
            .WithBindMount(root, "/var/run/postgresql")
            .WithCommand([.. PostgresSettings.Arguments(merged)])
            .WithOutputConsumer(log)
            .WithCreateParameterModifier(p =>
            {
                // Loopback only; SIGINT is PostgreSQL's fast shutdown (docker import cannot set STOPSIGNAL).
                p.StopSignal = "SIGINT";
                var host = p.HostConfig ?? throw new InvalidOperationException("Testcontainers created no host configuration");
                host.ShmSize = 256L * 1024 * 1024;
                foreach (var bindings in host.PortBindings?.Values ?? [])
                {
                    foreach (var binding in bindings)
                    {
                        binding.HostIP = "127.0.0.1";
                    }
                }
            });
        builder = customize(builder);
        foreach (var file in PostgresSettings.Files(merged))
        {
            builder = builder.WithResourceMapping(await File.ReadAllBytesAsync(file).ConfigureAwait(false), FilePath.Of(file),
                PostgresUid, PostgresUid, UnixFileModes.UserRead | UnixFileModes.UserWrite);
        }

        // Inside the container the server's socket is .s.PGSQL.5432; a client names the socket after the port it uses.
        File.CreateSymbolicLink(Path.Combine(root, $".s.PGSQL.{port}"), $".s.PGSQL.{PostgreSqlBuilder.PostgreSqlPort}");
        var server = new PostgresServer(version, root, port, builder.Build(), log);
        try
        {
            await server.StartExistingAsync().ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    public static string ImageTag(PostgresVersion version) => $"cdc-test/postgres:{(int)version}";

    /// <summary>Starts the server again after <see cref="StopAsync"/> or <see cref="CrashAsync"/>, on the same port.</summary>
    public async Task StartExistingAsync()
    {
        try
        {
            await _container.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"PostgreSQL {(int)Version} did not start ({ImageTag(Version)}: scripts/setup builds it). {ReadLogTail()}", e);
        }

        IsRunning = true;
        await FreePort.WaitListeningAsync(Port, TimeSpan.FromSeconds(30), ReadLogTail).ConfigureAwait(false);
    }

    /// <summary>Clean shutdown (PostgreSQL's fast mode: a checkpoint, sessions ended).</summary>
    public Task StopAsync() => SignalAndWaitAsync("INT");

    /// <summary>Immediate shutdown: no checkpoint, crash recovery on the next start.</summary>
    public Task CrashAsync() => SignalAndWaitAsync("QUIT");

    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartExistingAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces pg_hba.conf with <paramref name="lines"/> after entries that keep the fixture's own superuser
    /// connections working, and waits until the server uses it. Clients of this machine reach the container
    /// through the Docker bridge, not from 127.0.0.1: an address <c>127.0.0.1/32</c> in a line is written as
    /// <c>samenet</c> (the bridge's network), so a line means what it would on a server on loopback.
    /// </summary>
    public async Task WriteHbaAsync(params string[] lines)
    {
        string[] fixture = ["local all all trust", "host all postgres samenet trust", "host replication postgres samenet trust"];
        var text = string.Join('\n', fixture.Concat(lines.Select(l => l.Replace("127.0.0.1/32", "samenet", StringComparison.Ordinal)))) + "\n";
        await _container.CopyAsync(System.Text.Encoding.UTF8.GetBytes(text), DataDirectory + "/pg_hba.conf",
            PostgresUid, PostgresUid, UnixFileModes.UserRead | UnixFileModes.UserWrite).ConfigureAwait(false);
        await ReloadAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Sends SIGHUP and waits until new backends see the reloaded configuration: a fresh connection's
    /// pg_conf_load_time() is when the postmaster last read the files (pg_reload_conf itself does not wait).
    /// </summary>
    public async Task ReloadAsync()
    {
        const string LoadTime = "SELECT pg_conf_load_time()";
        var before = await ScalarAsync<DateTime>(LoadTime).ConfigureAwait(false);
        await ExecuteAsync("SELECT pg_reload_conf()").ConfigureAwait(false);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await ScalarAsync<DateTime>(LoadTime).ConfigureAwait(false) <= before)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the server did not reload its configuration in 30 s. {ReadLogTail()}");
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>ALTER SYSTEM SET for each setting, then a reload (only settings a reload can change take effect).</summary>
    public async Task ConfigureAsync(IReadOnlyDictionary<string, string> settings)
    {
        foreach (var (name, value) in settings)
        {
            await ExecuteAsync($"ALTER SYSTEM SET {name} = {value}").ConfigureAwait(false);
        }

        await ReloadAsync().ConfigureAwait(false);
    }

    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var conn = new NpgsqlConnection(ConnectionString(database));
        await conn.OpenAsync().ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public async Task<T?> ScalarAsync<T>(string sql, string database = "postgres")
    {
        await using var conn = new NpgsqlConnection(ConnectionString(database));
        await conn.OpenAsync().ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(sql, conn);
        var result = await cmd.ExecuteScalarAsync().ConfigureAwait(false);
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>Creates a database (dropping it first when it exists) and returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").ConfigureAwait(false);
        await ExecuteAsync($"CREATE DATABASE \"{name}\"").ConfigureAwait(false);
        return name;
    }

    /// <summary>The last lines of the server's log (its stderr).</summary>
    public string ReadLogTail() => _log.Tail();

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        IsRunning = false;
        await _container.DisposeAsync().ConfigureAwait(false);
        _log.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Signals the postmaster (the container's first process, which handles SIGINT and SIGQUIT) and waits until it
    /// and so the container have exited.
    /// </summary>
    private async Task SignalAndWaitAsync(string signal)
    {
        if (!IsRunning)
        {
            return;
        }

        await _container.ExecAsync(["bash", "-c", $"kill -{signal} 1"]).ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _container.GetExitCodeAsync(timeout.Token).ConfigureAwait(false);
        IsRunning = false;
    }
}
