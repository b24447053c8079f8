using System.Text.Json;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Cli;

/// <summary>
/// Real PostgreSQL and nats-server, a <c>shop.items</c> table, and helpers to run the cdc binary's
/// commands against them; each instance uses its own free port for the status endpoint.
/// </summary>
public sealed class CliEnvironment : IAsyncDisposable
{
    public const string Slot = "cli";
    public const string Publication = "cli_pub";
    public const string Stream = "CLI";

    private CliEnvironment(PostgresServer pg, NatsServer nats)
    {
        Pg = pg;
        Nats = nats;
        HttpPort = FreePort.Next();
    }

    public PostgresServer Pg { get; }

    public NatsServer Nats { get; }

    public int HttpPort { get; }

    public string Http => $"127.0.0.1:{HttpPort}";

    public string Connection => Pg.ConnectionString("shop");

    public static async Task<CliEnvironment> StartAsync()
    {
        var pg = await PostgresServer.StartAsync();
        var nats = await NatsServer.StartAsync();
        await pg.CreateDatabaseAsync("shop");
        await pg.ExecuteAsync("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2));", "shop");
        return new CliEnvironment(pg, nats);
    }

    public async Task<CdcProcess> StartSidecarAsync()
    {
        var cdc = CdcProcess.Start(
        [
            "run", "--connection", Connection, "--nats", Nats.Url, "--slot", Slot, "--publication", Publication,
            "--stream", Stream, "--http", Http, "--shutdown-timeout", "00:00:05",
        ]);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        return cdc;
    }

    public Task<(int ExitCode, string Output)> StatusAsync(params string[] extra) => CdcProcess.RunAsync(
        ["status", "--http", Http, "--connection", Connection, "--slot", Slot, "--publication", Publication, .. extra],
        TimeSpan.FromSeconds(30));

    public async Task<(int ExitCode, JsonElement Report)> StatusJsonAsync()
    {
        var (exitCode, output) = await StatusAsync("--json");
        using var document = JsonDocument.Parse(output);
        return (exitCode, document.RootElement.Clone());
    }

    /// <summary>Commits inserts, updates and deletes on items; returns how many of each.</summary>
    public async Task<(int Inserts, int Updates, int Deletes)> WriteAsync(int firstId, int count)
    {
        await using var connection = new NpgsqlConnection(Connection);
        await connection.OpenAsync();
        await using (var insert = new NpgsqlCommand($"INSERT INTO items SELECT g, 'item ' || g, g * 1.25 FROM generate_series({firstId}, {firstId + count - 1}) g", connection))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var updates = 0;
        for (var id = firstId; id < firstId + count; id += 2)
        {
            await using var update = new NpgsqlCommand($"UPDATE items SET price = price + 1 WHERE id = {id}", connection);
            updates += await update.ExecuteNonQueryAsync();
        }

        await using var delete = new NpgsqlCommand($"DELETE FROM items WHERE id >= {firstId} AND id < {firstId + count} AND id % 5 = 0", connection);
        var deletes = await delete.ExecuteNonQueryAsync();
        return (count, updates, deletes);
    }

    public async ValueTask DisposeAsync()
    {
        await Nats.DisposeAsync();
        await Pg.DisposeAsync();
    }
}
