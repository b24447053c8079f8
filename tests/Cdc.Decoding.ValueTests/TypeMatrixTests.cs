using System.Text;
using Cdc.Decoding.Values;
using Cdc.Testing;
using Cdc.V1;
using Npgsql;

namespace Cdc.Decoding.ValueTests;

/// <summary>
/// The type matrix: a table with a column of every PostgreSQL 15 built-in type family (plus arrays, a domain, an
/// enum, composites, ranges and multiranges) filled with edge values, captured from a real pgoutput slot in text
/// and in binary mode, converted, rendered back to text and compared with <c>SELECT col::text</c>; on PostgreSQL 15
/// and 17 (<see cref="TypeMatrixTestsOn15"/>, <see cref="TypeMatrixTestsOn17"/>).
/// </summary>
public abstract class TypeMatrixTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Database = "matrix";
    private PostgresServer? _server;
    private CatalogTypeResolver? _resolver;

    public async Task InitializeAsync()
    {
        _server = postgres.Server;
        await _server.CreateDatabaseAsync(Database);
        await _server.ExecuteAsync(TypeMatrix.Setup, Database);
        var columns = new StringBuilder("id int4 PRIMARY KEY");
        foreach (var column in TypeMatrix.Columns)
        {
            columns.Append(", ").Append(column.Name).Append(' ').Append(column.SqlType);
        }

        await _server.ExecuteAsync($"CREATE TABLE matrix ({columns}); CREATE PUBLICATION matrix_pub FOR TABLE matrix;", Database);
        await _server.ExecuteAsync("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'matrix_slot'", Database);
        await _server.ExecuteAsync("SELECT pg_create_logical_replication_slot('matrix_slot', 'pgoutput')", Database);
        var names = string.Join(", ", TypeMatrix.Columns.Select(c => c.Name));
        var first = string.Join(", ", TypeMatrix.Columns.Select(c => c.First));
        var second = string.Join(", ", TypeMatrix.Columns.Select(c => c.Second));
        // The server runs with synchronous_commit off; logical decoding only reads flushed WAL.
        await _server.ExecuteAsync($"SET synchronous_commit = on; INSERT INTO matrix (id, {names}) VALUES (1, {first}); INSERT INTO matrix (id, {names}) VALUES (2, {second}); INSERT INTO matrix (id) VALUES (3);", Database);
        _resolver = await CatalogTypeResolver.LoadAsync(_server.ConnectionString(Database));
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.ExecuteAsync("SELECT pg_drop_replication_slot('matrix_slot')", Database);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_type_decodes_to_what_select_col_text_returns(bool binary)
    {
        var connectionString = _server!.ConnectionString(Database);
        // Text mode runs the output functions in a non-UTC zone so that UTC offsets (incl. LMT seconds) are parsed.
        var events = await SlotCapture.PeekAsync(connectionString, "matrix_slot", "matrix_pub", binary, _resolver!, timeZone: "Asia/Kolkata");
        Assert.Equal(3, events.Count);

        var expected = await ExpectedTextAsync(connectionString, binary);
        var formatter = new PgTextFormatter(new ValueConverter(_resolver), infiniteIntervals: _server.Version >= PostgresVersion.V17);
        var mismatches = new List<string>();
        var checkedValues = 0;
        foreach (var changeEvent in events)
        {
            Assert.Equal(Operation.Insert, changeEvent.Operation);
            var id = (int)changeEvent.NewRow[0].Value.Int;
            var row = expected[id];
            for (var i = 0; i < TypeMatrix.Columns.Length; i++)
            {
                var column = changeEvent.NewRow[i + 1];
                Assert.Equal(TypeMatrix.Columns[i].Name, column.Name);
                string? actual;
                try
                {
                    actual = formatter.Format(column.Value, column.TypeOid);
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
                {
                    actual = $"<unrenderable {column.Value}: {e.Message}>";
                }

                checkedValues++;
                if (actual != row[i])
                {
                    mismatches.Add($"row {id} {column.Name} ({column.TypeName}, {column.Value.KindCase}): expected {Show(row[i])}, got {Show(actual)} from {column.Value}");
                }
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {checkedValues} values differ ({(binary ? "binary" : "text")} mode):\n" + string.Join("\n", mismatches));
    }

    private static string ExpectedExpression(MatrixColumn column, bool binary)
    {
        var expression = binary && column.BinaryExpected is not null ? column.BinaryExpected : column.Expected;
        return expression is null ? column.Name + "::text" : $"CASE WHEN {column.Name} IS NULL THEN NULL ELSE {expression} END";
    }

    private static string Show(string? text) => text is null ? "NULL" : $"'{text}'";

    private static async Task<Dictionary<int, string?[]>> ExpectedTextAsync(string connectionString, bool binary)
    {
        var select = string.Join(", ", TypeMatrix.Columns.Select(c => ExpectedExpression(c, binary)));
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var set = new NpgsqlCommand("SET TimeZone = 'UTC'", connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand($"SELECT id, {select} FROM matrix ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<int, string?[]>();
        while (await reader.ReadAsync())
        {
            var values = new string?[TypeMatrix.Columns.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = reader.IsDBNull(i + 1) ? null : reader.GetString(i + 1);
            }

            rows[reader.GetInt32(0)] = values;
        }

        return rows;
    }
}
