using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>
/// Reads the slot and publication state from PostgreSQL with an ordinary (non-replication)
/// connection: what <c>cdc status</c> shows even when the sidecar is down, and what the sidecar's
/// status sampler polls for the slot lag.
/// </summary>
public static class PostgresProbe
{
    private const string SlotSql = """
        SELECT s.active, s.active_pid, s.confirmed_flush_lsn::text, s.restart_lsn::text,
               pg_current_wal_lsn()::text,
               pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint,
               extract(epoch FROM r.flush_lag)::float8,
               s.wal_status
        FROM pg_replication_slots s
        LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
        WHERE s.slot_name = $1
        """;

    private const string PublicationSql = """
        SELECT p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate,
               (SELECT count(*) FROM pg_publication_tables t WHERE t.pubname = p.pubname)
        FROM pg_publication p
        WHERE p.pubname = $1
        """;

    public static async Task<SlotState> ReadSlotAsync(NpgsqlConnection connection, string slot, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(SlotSql, connection) { Parameters = { new() { Value = slot } } };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return new SlotState(slot, false, false, null, null, null, null, null, null, null, now);
        }

        return new SlotState(
            slot,
            Exists: true,
            Active: reader.GetBoolean(0),
            ActivePid: reader.IsDBNull(1) ? null : reader.GetInt32(1),
            ConfirmedFlushLsn: reader.IsDBNull(2) ? null : reader.GetString(2),
            RestartLsn: reader.IsDBNull(3) ? null : reader.GetString(3),
            CurrentWalLsn: reader.IsDBNull(4) ? null : reader.GetString(4),
            LagBytes: reader.IsDBNull(5) ? null : reader.GetInt64(5),
            LagSeconds: reader.IsDBNull(6) ? null : reader.GetDouble(6),
            WalStatus: reader.IsDBNull(7) ? null : reader.GetString(7),
            CheckedAt: now);
    }

    public static async Task<PublicationState> ReadPublicationAsync(NpgsqlConnection connection, string publication, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(PublicationSql, connection) { Parameters = { new() { Value = publication } } };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return new PublicationState(publication, false, false, [], 0);
        }

        string[] operations = ["insert", "update", "delete", "truncate"];
        var published = operations.Where((_, i) => reader.GetBoolean(i + 1)).ToArray();
        return new PublicationState(publication, true, reader.GetBoolean(0), published, reader.GetInt64(5));
    }
}
