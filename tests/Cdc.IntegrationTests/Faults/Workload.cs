using Npgsql;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// A seeded write workload over three tables (inserts, updates, deletes; many small transactions, some large)
/// that survives PostgreSQL going away: each transaction records itself in <c>workload_commits</c> (not
/// published) in the same transaction, so after an error the writer can tell whether the commit happened
/// and retries only a transaction that did not. Transaction <c>n</c> is the same statements on every attempt.
/// </summary>
internal sealed class Workload(string connectionString, int seed)
{
    public const string Schema = """
        CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, owner text);
        CREATE TABLE items (id bigint PRIMARY KEY, qty int NOT NULL, label text);
        CREATE TABLE ledger (id bigint PRIMARY KEY, account int NOT NULL, amount bigint NOT NULL, memo text);
        CREATE TABLE workload_commits (txno int PRIMARY KEY, changes int NOT NULL);
        """;

    /// <summary>The published tables and each one's columns as text, key first (how the replay is compared).</summary>
    public static readonly IReadOnlyDictionary<string, string> Projections = new Dictionary<string, string>
    {
        ["accounts"] = "id::text, balance::text, owner",
        ["items"] = "id::text, qty::text, label",
        ["ledger"] = "id::text, account::text, amount::text, memo",
    };

    private const int RowsPerTransactionRange = 100_000;
    private const int AccountIds = 3000;

    private int _committed;
    private long _committedChanges;
    private int _retries;

    public int CommittedTransactions => Volatile.Read(ref _committed);

    public long CommittedChanges => Interlocked.Read(ref _committedChanges);

    /// <summary>Transactions attempted again after an error that left them uncommitted.</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Committed row changes as PostgreSQL knows them (the side table), whatever the writer saw.</summary>
    public static async Task<long> CountCommittedChangesAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT coalesce(sum(changes), 0)::bigint FROM workload_commits", conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Writes transactions until <paramref name="keepGoing"/> says stop (checked between transactions).</summary>
    public async Task RunAsync(Func<Workload, bool> keepGoing, CancellationToken cancellationToken = default)
    {
        NpgsqlConnection? conn = null;
        try
        {
            var txno = 0;
            while (keepGoing(this))
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    conn ??= await OpenAsync(cancellationToken);
                    var changes = await WriteTransactionAsync(conn, txno, cancellationToken);
                    Interlocked.Add(ref _committedChanges, changes);
                    Interlocked.Increment(ref _committed);
                    txno++;
                }
                catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
                {
                    // PostgreSQL went away (or the connection broke): did the commit land before it did?
                    if (conn is not null)
                    {
                        await conn.DisposeAsync();
                        conn = null;
                    }

                    var landed = await WasCommittedAsync(txno, cancellationToken);
                    if (landed is { } changes)
                    {
                        Interlocked.Add(ref _committedChanges, changes);
                        Interlocked.Increment(ref _committed);
                        txno++;
                    }
                    else
                    {
                        Interlocked.Increment(ref _retries);
                    }
                }
            }
        }
        finally
        {
            if (conn is not null)
            {
                await conn.DisposeAsync();
            }
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var conn = new NpgsqlConnection(connectionString);
        try
        {
            await conn.OpenAsync(cancellationToken);
            return conn;
        }
        catch
        {
            await conn.DisposeAsync();
            await Task.Delay(200, cancellationToken);
            throw;
        }
    }

    /// <summary>The transaction's recorded change count, or null when it did not commit; waits for PostgreSQL.</summary>
    private async Task<int?> WasCommittedAsync(int txno, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                await using var conn = new NpgsqlConnection(connectionString);
                await conn.OpenAsync(cancellationToken);
                await using var cmd = new NpgsqlCommand($"SELECT changes FROM workload_commits WHERE txno = {txno}", conn);
                return await cmd.ExecuteScalarAsync(cancellationToken) is int changes ? changes : null;
            }
            catch (Exception e) when ((e is NpgsqlException or IOException or TimeoutException) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    private async Task<int> WriteTransactionAsync(NpgsqlConnection conn, int txno, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(seed, txno) & 0x7fffffff);
        var changes = 0;
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        foreach (var sql in Statements(random, txno))
        {
            await using var cmd = new NpgsqlCommand(sql, conn, tx);
            changes += await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var record = new NpgsqlCommand($"INSERT INTO workload_commits VALUES ({txno}, {changes})", conn, tx))
        {
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return changes;
    }

    /// <summary>Mostly small transactions over random accounts; some bulk ones over items and ledger rows.</summary>
    private static IEnumerable<string> Statements(Random random, int txno)
    {
        var rangeStart = (long)txno * RowsPerTransactionRange;
        var shape = random.Next(100);
        if (shape < 2)
        {
            // Large: thousands of rows in one statement, and more changes to them in the same transaction.
            var rows = random.Next(3_000, 15_000);
            yield return $"INSERT INTO ledger SELECT {rangeStart} + g, g % {AccountIds}, g * 7, 'bulk ' || g FROM generate_series(1, {rows}) g";
            yield return $"UPDATE ledger SET amount = amount + 1 WHERE id > {rangeStart} AND id <= {rangeStart + (rows / 3)}";
            yield return $"DELETE FROM ledger WHERE id > {rangeStart + rows - (rows / 10)} AND id <= {rangeStart + rows}";
            yield break;
        }

        if (shape < 12)
        {
            // Medium: a batch of items, and changes to an earlier transaction's batch.
            var rows = random.Next(100, 1_000);
            yield return $"INSERT INTO items SELECT {rangeStart} + g, g, 'item ' || g FROM generate_series(1, {rows}) g";
            if (txno > 0)
            {
                var earlier = (long)random.Next(txno) * RowsPerTransactionRange;
                yield return random.Next(3) == 0
                    ? $"DELETE FROM items WHERE id > {earlier} AND id <= {earlier + random.Next(1, 300)}"
                    : $"UPDATE items SET qty = qty + 1, label = label || '+' WHERE id > {earlier} AND id <= {earlier + random.Next(1, 500)}";
            }

            yield break;
        }

        var statements = random.Next(1, 10);
        for (var s = 0; s < statements; s++)
        {
            var account = random.Next(1, AccountIds + 1);
            yield return random.Next(6) switch
            {
                0 or 1 => $"INSERT INTO accounts VALUES ({account}, {random.Next(1000)}, 'owner {account} ''q''') ON CONFLICT (id) DO NOTHING",
                2 or 3 => $"UPDATE accounts SET balance = balance + {random.Next(1, 100)}, owner = owner || '.' WHERE id = {account}",
                4 => $"DELETE FROM accounts WHERE id = {account}",
                _ => $"INSERT INTO ledger VALUES ({rangeStart + s}, {account}, {random.Next(-500, 500)}, NULL)",
            };
        }
    }
}
