using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// A real PostgreSQL (15 unless a test names another version) and nats-server for one fault test, a database named after the test, and the
/// <c>cdc run</c> command line to point at them. Disposing stops both servers.
/// </summary>
internal sealed class FaultEnvironment : IAsyncDisposable
{
    private FaultEnvironment(PostgresServer pg, NatsServer nats, string database, string slot)
    {
        Postgres = pg;
        Nats = nats;
        Database = database;
        Slot = slot;
        Connection = pg.ConnectionString(database);
    }

    public PostgresServer Postgres { get; }

    public NatsServer Nats { get; }

    public string Database { get; }

    public string Slot { get; }

    public string Publication => Slot + "_pub";

    public string Stream => Slot.ToUpperInvariant();

    public string Connection { get; }

    public static async Task<FaultEnvironment> StartAsync(
        string name, string schema, IReadOnlyDictionary<string, string>? postgresSettings = null, PostgresVersion version = PostgresVersion.V15,
        string? messagesLanguage = null)
    {
        var pg = await PostgresServer.StartAsync(postgresSettings, version, messagesLanguage);
        NatsServer? nats = null;
        try
        {
            nats = await NatsServer.StartAsync();
            await pg.CreateDatabaseAsync(name);
            await pg.ExecuteAsync(schema, name);
            return new FaultEnvironment(pg, nats, name, name);
        }
        catch
        {
            if (nats is not null)
            {
                await nats.DisposeAsync();
            }

            await pg.DisposeAsync();
            throw;
        }
    }

    /// <summary>The arguments of <c>cdc run</c> for this environment, then <paramref name="extra"/> (no status endpoint unless it names <c>--http</c>).</summary>
    public List<string> RunArguments(params string[] extra)
    {
        var arguments = new List<string>
        {
            "run", "--connection", Connection, "--nats", Nats.Url, "--slot", Slot, "--publication", Publication,
            "--stream", Stream, "--subject-prefix", "cdc", "--shutdown-timeout", "00:00:05",
        };
        if (!extra.Contains("--http"))
        {
            arguments.AddRange(["--http", "off"]);
        }

        arguments.AddRange(extra);
        return arguments;
    }

    public CdcProcess StartCdc(params string[] extra) => CdcProcess.Start(RunArguments(extra));

    /// <summary>Starts <c>cdc run</c> with its NATS connection through <paramref name="proxy"/> (a fault between cdc and nats-server).</summary>
    public CdcProcess StartCdcThrough(TcpDropProxy proxy, params string[] extra)
    {
        var arguments = RunArguments(extra);
        arguments[arguments.IndexOf("--nats") + 1] = $"nats://127.0.0.1:{proxy.Port}";
        return CdcProcess.Start(arguments);
    }

    /// <summary>
    /// Writes <paramref name="transactions"/> transactions of <paramref name="rowsPerTransaction"/> rows into table
    /// <c>t (id int PRIMARY KEY, payload text NOT NULL)</c>, ids from 1, with <paramref name="pause"/> after each: transactions
    /// keep coming through a fault.
    /// </summary>
    public async Task WritePacedAsync(int transactions, int rowsPerTransaction, TimeSpan pause)
    {
        await using var conn = new NpgsqlConnection(Connection);
        await conn.OpenAsync();
        for (var t = 0; t < transactions; t++)
        {
            await using var cmd = new NpgsqlCommand(
                $"INSERT INTO t SELECT g, repeat('x', 100) || g FROM generate_series({(t * rowsPerTransaction) + 1}, {(t + 1) * rowsPerTransaction}) g", conn);
            await cmd.ExecuteNonQueryAsync();
            await Task.Delay(pause);
        }
    }

    public Task<string> CurrentWalLsnAsync() => SlotPosition.CurrentWalLsnAsync(Postgres, Database);

    public Task<string?> ConfirmedFlushLsnAsync() => SlotPosition.ConfirmedFlushLsnAsync(Postgres, Slot, Database);

    /// <summary>Waits until the slot's confirmed flush LSN reaches <paramref name="lsn"/> (everything before it is in JetStream).</summary>
    public Task WaitForSlotAsync(string lsn, TimeSpan timeout, Func<string>? diagnostics = null)
        => SlotPosition.WaitForConfirmedAsync(Postgres, Slot, lsn, timeout, Database, diagnostics);

    /// <summary>
    /// After a <see cref="Workload"/> run: waits until the slot passed the WAL end, then checks that the stream holds
    /// every committed change once, in commit order, and that replaying it reproduces the tables.
    /// </summary>
    public async Task AssertWorkloadDeliveredAsync(Func<string> diagnostics)
    {
        var committed = await Workload.CountCommittedChangesAsync(Connection);
        await WaitForSlotAsync(await CurrentWalLsnAsync(), TimeSpan.FromSeconds(90), diagnostics);

        var changes = await StreamContents.ReadAllAsync(Nats.Url, Stream);
        StreamAssertions.ExactlyOnceInCommitOrder(changes, Slot, committed);
        await StreamAssertions.ReplayReproducesTablesAsync(changes, Connection, Workload.Projections);
    }

    /// <summary>Pid of the walsender serving the slot, or null when the slot is not active.</summary>
    public async Task<int?> ActiveWalsenderPidAsync()
        => await Postgres.ScalarAsync<int?>($"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{Slot}'", Database);

    public async ValueTask DisposeAsync()
    {
        await Nats.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
