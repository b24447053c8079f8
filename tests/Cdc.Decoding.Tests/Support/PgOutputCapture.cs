using Cdc.Testing;
using Npgsql;
using NpgsqlTypes;

namespace Cdc.Decoding.Tests.Support;

/// <summary>
/// Captures real pgoutput bytes without the replication protocol: a pgoutput slot read with
/// pg_logical_slot_peek_binary_changes gives one row per message (the payload of one XLogData).
/// </summary>
public static class PgOutputCapture
{
    public static async Task CreateSlotAsync(PostgresServer server, string database, string slot, bool twoPhase = false)
        => await server.ExecuteAsync($"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput', false, {(twoPhase ? "true" : "false")})", database);

    public static async Task<IReadOnlyList<CapturedMessage>> PeekAsync(PostgresServer server, string database, string slot, params string[] options)
    {
        var args = string.Join(", ", options.Select(o => $"'{o}'"));
        await using var conn = new NpgsqlConnection(server.ConnectionString(database));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT lsn, xid, data FROM pg_logical_slot_peek_binary_changes('{slot}', NULL, NULL, {args})", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var result = new List<CapturedMessage>();
        while (await reader.ReadAsync())
        {
            var lsn = reader.GetFieldValue<NpgsqlLogSequenceNumber>(0);
            var xid = reader.GetFieldValue<uint>(1);
            result.Add(new CapturedMessage((ulong)lsn, xid, reader.GetFieldValue<byte[]>(2)));
        }

        return result;
    }

    /// <summary>Writes the capture into the source tree when CDC_WRITE_CAPTURES names the Captured folder.</summary>
    public static void SaveIfRequested(string name, string comment, IReadOnlyList<CapturedMessage> messages)
    {
        var folder = Environment.GetEnvironmentVariable("CDC_WRITE_CAPTURES");
        if (!string.IsNullOrEmpty(folder))
        {
            CapturedMessage.Save(Path.Combine(folder, name), comment, messages);
        }
    }
}
