using Npgsql;

namespace Cdc.Testing;

/// <summary>
/// A throwaway PostgreSQL 15 cluster with <c>wal_level=logical</c> on 127.0.0.1, run from the Debian
/// package's binaries. Trust authentication on loopback; superuser <c>postgres</c>.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private readonly string _dataDirectory;
    private readonly string _logFile;
    private bool _disposed;

    private PostgresServer(string root, int port)
    {
        Root = root;
        Port = port;
        _dataDirectory = Path.Combine(root, "data");
        _logFile = Path.Combine(root, "postgres.log");
    }

    public string Root { get; }

    public int Port { get; }

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

    public bool IsRunning { get; private set; }

    /// <summary>The directory of the server's Unix socket (<c>unix_socket_directories</c>): a Host for a local connection.</summary>
    public string SocketDirectory => Root;

    /// <summary>
    /// Replaces pg_hba.conf with <paramref name="lines"/> after two entries that keep the fixture's own superuser
    /// connections working (local and 127.0.0.1 trust for <c>postgres</c>), and waits until the server uses it.
    /// </summary>
    public async Task WriteHbaAsync(params string[] lines)
    {
        string[] fixture = ["local all all trust", "host all postgres 127.0.0.1/32 trust"];
        var path = Path.Combine(_dataDirectory, "pg_hba.conf");
        await File.WriteAllLinesAsync(path, fixture.Concat(lines)).ConfigureAwait(false);
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

    /// <summary>Creates a fresh cluster in a new directory under /tmp and starts it.</summary>
    public static async Task<PostgresServer> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        if (!File.Exists(Path.Combine(BinDirectory, "postgres")))
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinDirectory}): apt-get install -y postgresql-15");
        }

        var root = Path.Combine(Path.GetTempPath(), "cdc-test-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (ProcessRunner.IsRoot)
        {
            await ProcessRunner.RunAsync("chown", ["postgres:postgres", root]).ConfigureAwait(false);
        }

        var server = new PostgresServer(root, FreePort.Next());
        await ProcessRunner.RunAsPostgresAsync(Path.Combine(BinDirectory, "initdb"),
            ["-D", server._dataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]).ConfigureAwait(false);

        var conf = new Dictionary<string, string>
        {
            ["listen_addresses"] = "'127.0.0.1'",
            ["port"] = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["unix_socket_directories"] = $"'{root}'",
            ["wal_level"] = "logical",
            ["max_replication_slots"] = "32",
            ["max_wal_senders"] = "32",
            ["max_connections"] = "100",
            ["fsync"] = "off",
            ["full_page_writes"] = "off",
            ["synchronous_commit"] = "off",
            ["shared_buffers"] = "128MB",
            ["max_wal_size"] = "2GB",
            ["wal_sender_timeout"] = "60s",
        };
        if (settings is not null)
        {
            foreach (var (k, v) in settings)
            {
                conf[k] = v;
            }
        }

        await File.AppendAllLinesAsync(Path.Combine(server._dataDirectory, "postgresql.conf"),
            conf.Select(kv => $"{kv.Key} = {kv.Value}")).ConfigureAwait(false);
        await server.StartExistingAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Starts the cluster again after <see cref="StopAsync"/> or <see cref="CrashAsync"/>.</summary>
    public async Task StartExistingAsync()
    {
        await ProcessRunner.RunAsPostgresAsync(Path.Combine(BinDirectory, "pg_ctl"),
            ["-D", _dataDirectory, "-l", _logFile, "-w", "-t", "60", "start"]).ConfigureAwait(false);
        IsRunning = true;
        await FreePort.WaitListeningAsync(Port, TimeSpan.FromSeconds(30), ReadLogTail).ConfigureAwait(false);
    }

    /// <summary>Clean shutdown (checkpoint).</summary>
    public async Task StopAsync()
    {
        if (!IsRunning)
        {
            return;
        }

        await ProcessRunner.RunAsPostgresAsync(Path.Combine(BinDirectory, "pg_ctl"),
            ["-D", _dataDirectory, "-w", "-t", "60", "-m", "fast", "stop"], check: false).ConfigureAwait(false);
        IsRunning = false;
    }

    /// <summary>Immediate shutdown: no checkpoint, crash recovery on the next start.</summary>
    public async Task CrashAsync()
    {
        await ProcessRunner.RunAsPostgresAsync(Path.Combine(BinDirectory, "pg_ctl"),
            ["-D", _dataDirectory, "-w", "-t", "60", "-m", "immediate", "stop"], check: false).ConfigureAwait(false);
        IsRunning = false;
    }

    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartExistingAsync().ConfigureAwait(false);
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

    public string ReadLogTail()
    {
        try
        {
            var lines = File.ReadAllLines(_logFile);
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 30)));
        }
        catch (IOException)
        {
            return "(no postgres log)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await CrashAsync().ConfigureAwait(false);
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
}
