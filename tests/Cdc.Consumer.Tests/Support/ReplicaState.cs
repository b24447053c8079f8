using Npgsql;

namespace Cdc.Consumer.Tests.Support;

/// <summary>Reads what a replica consumer left in its database: cursor, effects log and rows.</summary>
public static class ReplicaState
{
    public static ulong Cursor(NpgsqlDataSource dataSource, string consumer = "replica")
    {
        using var command = dataSource.CreateCommand("SELECT stream_sequence FROM cdc_consumer_cursors WHERE consumer = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        return command.ExecuteScalar() is long sequence ? (ulong)sequence : 0;
    }

    public static async Task<List<long>> EffectsAsync(NpgsqlDataSource dataSource)
    {
        var effects = new List<long>();
        await using var command = dataSource.CreateCommand("SELECT seq FROM effects ORDER BY seq");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            effects.Add(reader.GetInt64(0));
        }

        return effects;
    }

    public static async Task<List<(int Id, string Value)>> RowsAsync(NpgsqlDataSource dataSource)
    {
        var rows = new List<(int, string)>();
        await using var command = dataSource.CreateCommand("SELECT id, value FROM items ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetString(1)));
        }

        return rows;
    }
}
