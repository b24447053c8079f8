using System.Globalization;
using System.Text;
using Cdc.Testing;
using Npgsql;
using NpgsqlTypes;

namespace Cdc.Benchmarks.Capture;

/// <summary>
/// Starts a throwaway PostgreSQL 15, runs each workload on its own table, publication and slot, and saves the
/// pgoutput messages (proto_version 1, text values) read with <c>pg_logical_slot_peek_binary_changes</c>.
/// The data is deterministic (derived from row numbers), so a recapture gives the same values.
/// </summary>
public static class Capturer
{
    public static async Task CaptureAllAsync(TextWriter log)
    {
        // Logical decoding reads only flushed WAL: with asynchronous commit the last transactions could be missing.
        await using var server = await PostgresServer.StartAsync(new Dictionary<string, string> { ["synchronous_commit"] = "on" }).ConfigureAwait(false);
        log.WriteLine($"PostgreSQL 15 started on 127.0.0.1:{server.Port}");
        await CaptureAsync(server, Scenario.FiveRow, "orders6", FiveRowTableSql, FiveRowWorkloadSql, log).ConfigureAwait(false);
        await CaptureAsync(server, Scenario.Wide, "wide50", WideTableSql(), WideWorkloadSql(), log).ConfigureAwait(false);
        await CaptureAsync(server, Scenario.Jsonb, "docs", JsonbTableSql, JsonbWorkloadSql, log).ConfigureAwait(false);
    }

    /// <summary>Captures any scenario whose file is missing (a fresh clone without the data files, or a deleted one).</summary>
    public static async Task EnsureCapturedAsync(TextWriter log)
    {
        if (Scenario.All.All(s => File.Exists(s.FilePath)))
        {
            return;
        }

        log.WriteLine($"Captured data missing in {Scenario.DataDirectory}: capturing from a throwaway PostgreSQL 15");
        await CaptureAllAsync(log).ConfigureAwait(false);
    }

    private static async Task CaptureAsync(PostgresServer server, Scenario scenario, string table, string createSql, string workloadSql, TextWriter log)
    {
        var slot = "bench_" + table;
        var publication = "pub_" + table;
        await server.ExecuteAsync(createSql).ConfigureAwait(false);
        await server.ExecuteAsync($"CREATE PUBLICATION {publication} FOR TABLE {table}").ConfigureAwait(false);
        await server.ExecuteAsync($"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')").ConfigureAwait(false);
        await server.ExecuteAsync(workloadSql).ConfigureAwait(false);

        var messages = await PeekAsync(server, slot, publication).ConfigureAwait(false);
        var rows = messages.Count(m => m.Type == (byte)'I');
        var commits = messages.Count(m => m.Type == (byte)'C');
        if (rows != scenario.Rows || commits != scenario.Transactions)
        {
            throw new InvalidOperationException($"{scenario}: captured {rows} rows in {commits} transactions, expected {scenario.Rows} in {scenario.Transactions}");
        }

        CaptureFile.Write(scenario.FilePath, messages);
        var bytes = messages.Sum(m => (long)m.Data.Length);
        log.WriteLine($"{scenario}: {messages.Count} messages, {rows} rows, {bytes / rows} message bytes per row -> {scenario.FilePath} ({new FileInfo(scenario.FilePath).Length} bytes)");
        await server.ExecuteAsync($"SELECT pg_drop_replication_slot('{slot}')").ConfigureAwait(false);
    }

    private static async Task<List<CapturedMessage>> PeekAsync(PostgresServer server, string slot, string publication)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT lsn, data FROM pg_logical_slot_peek_binary_changes(@slot, NULL, NULL, 'proto_version', '1', 'publication_names', @publication)",
            connection);
        command.Parameters.AddWithValue("slot", slot);
        command.Parameters.AddWithValue("publication", publication);
        var messages = new List<CapturedMessage>();
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            var lsn = (ulong)reader.GetFieldValue<NpgsqlLogSequenceNumber>(0);
            var data = reader.GetFieldValue<byte[]>(1);

            // A walsender sends 0/0 for a write that is not the last of its callback (Relation, Type and Origin
            // before the change or Begin they belong to); the SQL interface shows the callback's LSN instead.
            var walLsn = data[0] is (byte)'R' or (byte)'Y' or (byte)'O' ? 0UL : lsn;
            messages.Add(new CapturedMessage(walLsn, walLsn, data));
        }

        return messages;
    }

    private const string FiveRowTableSql = """
        CREATE TABLE orders6 (
            id bigint PRIMARY KEY,
            customer text NOT NULL,
            email text NOT NULL,
            amount numeric(12,2) NOT NULL,
            created_at timestamptz NOT NULL,
            active boolean NOT NULL)
        """;

    // One transaction per loop step (a DO block may COMMIT since PostgreSQL 11).
    private const string FiveRowWorkloadSql = """
        DO $$
        BEGIN
            FOR t IN 0..9999 LOOP
                INSERT INTO orders6
                SELECT n, 'customer ' || md5(n::text), 'user' || n || '@' || substr(md5((n % 97)::text), 1, 12) || '.example.com',
                       (n % 1000000) / 100.0, timestamptz '2024-01-01 00:00:00+00' + n * interval '1 second', n % 3 <> 0
                FROM (SELECT t * 5 + r AS n FROM generate_series(0, 4) r) s;
                COMMIT;
            END LOOP;
        END $$
        """;

    private static readonly (string Type, string Expression)[] WideColumnKinds =
    [
        ("bigint", "n * {k}"),
        ("text", "md5(n::text || '{k}')"),
        ("numeric(14,4)", "((n * {k}) % 1000000) / 10000.0"),
        ("timestamptz", "timestamptz '2024-01-01 00:00:00+00' + (n * {k}) * interval '1 second'"),
        ("boolean", "(n + {k}) % 2 = 0"),
        ("integer", "(n * {k}) % 100000"),
        ("double precision", "(n * {k}) / 7.0"),
        ("uuid", "md5(n::text || '-' || '{k}')::uuid"),
        ("date", "date '2020-01-01' + (n * {k}) % 3650"),
        ("varchar(32)", "left(md5('{k}' || n::text), 16)"),
    ];

    private static string WideTableSql()
    {
        var sql = new StringBuilder("CREATE TABLE wide50 (id bigint PRIMARY KEY");
        for (var k = 1; k < 50; k++)
        {
            sql.Append(CultureInfo.InvariantCulture, $", c{k:D2} {WideColumnKinds[k % WideColumnKinds.Length].Type}");
        }

        return sql.Append(')').ToString();
    }

    private static string WideWorkloadSql()
    {
        var values = new StringBuilder("n");
        for (var k = 1; k < 50; k++)
        {
            values.Append(", ").Append(WideColumnKinds[k % WideColumnKinds.Length].Expression.Replace("{k}", k.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        return $"""
            DO $$
            BEGIN
                FOR t IN 0..{Scenario.Wide.Transactions - 1} LOOP
                    INSERT INTO wide50 SELECT {values} FROM (SELECT t * 5 + r AS n FROM generate_series(0, 4) r) s;
                    COMMIT;
                END LOOP;
            END $$
            """;
    }

    private const string JsonbTableSql = "CREATE TABLE docs (id bigint PRIMARY KEY, doc jsonb NOT NULL)";

    // 8,500 objects of ~125 characters: a little over 1 MiB of jsonb text per row.
    private const string JsonbWorkloadSql = """
        DO $$
        BEGIN
            FOR t IN 0..3 LOOP
                INSERT INTO docs
                SELECT t, jsonb_build_object('batch', t, 'items', jsonb_agg(jsonb_build_object(
                    'id', g, 'sku', 'sku-' || md5((t * 100000 + g)::text), 'price', round((g % 9973) * 1.25, 2),
                    'tags', jsonb_build_array('red', 'large', g % 10), 'active', g % 2 = 0)))
                FROM generate_series(1, 8500) g;
                COMMIT;
            END LOOP;
        END $$
        """;
}
