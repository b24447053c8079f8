using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;
using Npgsql;

namespace Cdc.IntegrationTests;

/// <summary>
/// Overload mode with TOASTed columns and key changes: a consumer that applies the stored changes in order
/// (unchanged TOAST keeps the value it has, an update with an old key removes that key) ends with exactly the
/// rows PostgreSQL has, although most changes were coalesced away while NATS was down.
/// </summary>
public sealed class DedupeRowStateTests
{
    private const int Rows = 10;
    private const int Rounds = 100;

    [Fact]
    public async Task Rows_rebuilt_from_the_coalesced_stream_equal_the_table_with_toast_and_key_changes()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await pg.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY, body text NOT NULL, v int NOT NULL); ALTER TABLE t ALTER body SET STORAGE EXTERNAL");
        await using var cdc = CdcProcess.Start(
            ["run", "--connection", pg.ConnectionString(), "--nats", nats.Url, "--stream", "S", "--http", "off", "--dedupe", "true",
             "--set", "Cdc:Nats:MaxPendingAcks=16"]);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await pg.ExecuteAsync($"INSERT INTO t SELECT g, repeat('a', 8000) || g, 0 FROM generate_series(1, {Rows}) g");
        Assert.Equal(Rows, (await StreamContents.WaitForAsync(nats.Url, "S", Rows, TimeSpan.FromSeconds(30))).Count);

        // While NATS is away: new TOASTed values, then many updates that leave them out (sent as unchanged TOAST),
        // rows moved to new keys (and updated there), a row deleted.
        await nats.KillAsync();
        await using (var conn = new NpgsqlConnection(pg.ConnectionString()))
        {
            await conn.OpenAsync();
            await Execute(conn, "UPDATE t SET body = repeat('b', 8000) || id WHERE id <= 5");
            for (var round = 1; round <= Rounds; round++)
            {
                await Execute(conn, $"UPDATE t SET v = {round}");
                if (round == Rounds / 2)
                {
                    await Execute(conn, "UPDATE t SET id = id + 100 WHERE id IN (6, 7)");
                    await Execute(conn, "DELETE FROM t WHERE id = 8");
                }
            }
        }

        var walEnd = await SlotPosition.CurrentWalLsnAsync(pg);
        await SlotPosition.WaitForReceivedAsync(pg, "cdc", walEnd, TimeSpan.FromSeconds(60), diagnostics: () => cdc.Output);
        await nats.StartExistingAsync();
        await SlotPosition.WaitForConfirmedAsync(pg, "cdc", walEnd, TimeSpan.FromSeconds(90), diagnostics: () => cdc.Output);

        var changes = await StreamContents.ReadAllAsync(nats.Url, "S");
        var committed = Rows + 5 + (Rows * Rounds) + 3;
        Assert.True(changes.Count < committed / 2, $"{changes.Count} of {committed} changes stored: nothing was coalesced");

        var rebuilt = Rebuild(changes.Where(c => c.Event.Operation is Operation.Insert or Operation.Update or Operation.Delete).OrderBy(c => c.Sequence));
        var table = await ReadTable(pg);
        Assert.Equal(table.Keys.Order(), rebuilt.Keys.Order());
        foreach (var (id, (body, v)) in table)
        {
            Assert.Equal((body, (long)v), (rebuilt[id][1].Text, rebuilt[id][2].Int));
        }
    }

    /// <summary>A consumer's view: rows by key, built by applying the changes in stream order.</summary>
    private static Dictionary<long, Value[]> Rebuild(IEnumerable<StoredChange> changes)
    {
        var rows = new Dictionary<long, Value[]>();
        foreach (var change in changes)
        {
            var e = change.Event;
            if (e.Operation == Operation.Delete)
            {
                Assert.True(rows.Remove(e.OldRow[0].Value.Int), $"delete of a row never seen ({change.MessageId})");
                continue;
            }

            var id = e.NewRow[0].Value.Int;
            var previousId = e.OldRow.Count > 0 ? e.OldRow[0].Value.Int : id;
            rows.Remove(previousId, out var previous);
            previous ??= rows.GetValueOrDefault(id);
            rows[id] = [.. e.NewRow.Select((column, i) => column.Value.UnchangedToast
                ? previous?[i] ?? throw new InvalidOperationException($"column {column.Name} of row {id} left out, but no earlier value was stored ({change.MessageId})")
                : column.Value)];
        }

        return rows;
    }

    private static async Task<Dictionary<long, (string Body, int V)>> ReadTable(PostgresServer pg)
    {
        await using var conn = new NpgsqlConnection(pg.ConnectionString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT id, body, v FROM t", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new Dictionary<long, (string, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetInt32(0), (reader.GetString(1), reader.GetInt32(2)));
        }

        return rows;
    }

    private static async Task Execute(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
