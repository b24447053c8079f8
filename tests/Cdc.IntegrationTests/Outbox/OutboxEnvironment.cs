using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Outbox;

/// <summary>
/// PostgreSQL 15 (Testcontainers) and a nats-server for one outbox test: a database named after the test holding a
/// Debezium outbox table, a streams egress table and an ordinary table, and <c>cdc run</c> relaying the two outboxes.
/// </summary>
internal sealed class OutboxEnvironment : IAsyncDisposable
{
    public const string Schema = """
        CREATE TABLE outbox (
            id uuid PRIMARY KEY,
            aggregatetype varchar(255) NOT NULL,
            aggregateid varchar(255) NOT NULL,
            type varchar(255) NOT NULL,
            payload jsonb,
            headers jsonb);
        CREATE TABLE egress (
            batch_id bigint PRIMARY KEY,
            in_flight boolean NOT NULL DEFAULT true,
            message_count integer NOT NULL,
            write_retries integer NOT NULL DEFAULT 0,
            last_write_error text,
            raw_data bytea NOT NULL);
        CREATE TABLE orders (id bigint PRIMARY KEY, note text);
        """;

    private OutboxEnvironment(PostgresServer pg, NatsServer nats, string name)
    {
        Postgres = pg;
        Nats = nats;
        Name = name;
        Connection = pg.ConnectionString(name);
    }

    public PostgresServer Postgres { get; }

    public NatsServer Nats { get; }

    public string Name { get; }

    public string Stream => Name.ToUpperInvariant();

    public string Connection { get; }

    public static async Task<OutboxEnvironment> StartAsync(string name, string? natsConfig = null)
    {
        var pg = await PostgresServer.StartAsync();
        NatsServer? nats = null;
        try
        {
            nats = await NatsServer.StartAsync(natsConfig);
            await pg.CreateDatabaseAsync(name);
            await pg.ExecuteAsync(Schema, name);
            return new OutboxEnvironment(pg, nats, name);
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

    public CdcProcess StartCdc(params string[] extra)
    {
        var arguments = new List<string>
        {
            "run", "--connection", Connection, "--nats", Nats.Url, "--slot", Name, "--publication", Name + "_pub",
            "--stream", Stream, "--subject-prefix", "cdc", "--shutdown-timeout", "00:00:05", "--http", "off",
            "--set", "Cdc:Outbox:Tables:0=public.outbox", "--set", "Cdc:Outbox:Tables:1=egress",
            "--set", "Cdc:Nats:DuplicateWindow=00:10:00",
        };
        arguments.AddRange(extra);
        return CdcProcess.Start(arguments);
    }

    /// <summary>Waits until the slot confirmed everything committed so far: every message before it is in JetStream (or refused).</summary>
    public async Task WaitForSlotAsync(TimeSpan timeout, Func<string> diagnostics)
        => await SlotPosition.WaitForConfirmedAsync(Postgres, Name, await SlotPosition.CurrentWalLsnAsync(Postgres, Name), timeout, Name, diagnostics);

    public async Task<List<StoredMessage>> ReadStreamAsync()
    {
        var (count, _) = await StreamContentsReader.CountAsync(Nats.Url, Stream);
        return await StreamContentsReader.ReadAllAsync(Nats.Url, Stream, (int)count);
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(Connection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Polls a query-backed condition until it holds; fails after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"waited {timeout} for {what}\n{diagnostics()}");
            }

            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Nats.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
