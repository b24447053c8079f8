using Npgsql;

namespace Cdc.IntegrationTests.Snapshot;

/// <summary>
/// Inserts, updates and deletes rows of <c>items</c> and inserts into <c>nokey</c> in small transactions until stopped;
/// every written row takes its version from the sequence <c>ver</c>, so a newer state of a key has a larger version.
/// </summary>
internal sealed class SnapshotWriter(string connectionString, int firstNewId, int existing)
{
    private int _committed;

    public int Committed => Volatile.Read(ref _committed);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var random = new Random(7);
        var nextId = firstNewId;
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(CancellationToken.None);
        while (!cancellationToken.IsCancellationRequested)
        {
            await using (var tx = await conn.BeginTransactionAsync(CancellationToken.None))
            {
                for (var s = random.Next(1, 5); s > 0; s--)
                {
                    var id = random.Next(2) == 0 ? random.Next(1, existing + 1) : random.Next(firstNewId, nextId + 1);
                    var sql = random.Next(5) switch
                    {
                        0 => $"INSERT INTO items VALUES ({nextId++}, nextval('ver'), 'new')",
                        1 or 2 => $"UPDATE items SET v = nextval('ver'), note = note || '+' WHERE id = {id}",
                        3 => $"DELETE FROM items WHERE id = {id}",
                        _ => "INSERT INTO nokey VALUES (nextval('ver'), 'streamed')",
                    };
                    await using var cmd = new NpgsqlCommand(sql, conn, tx);
                    await cmd.ExecuteNonQueryAsync(CancellationToken.None);
                }

                await tx.CommitAsync(CancellationToken.None);
            }

            Interlocked.Increment(ref _committed);
            await Task.Delay(2, CancellationToken.None);
        }
    }
}
