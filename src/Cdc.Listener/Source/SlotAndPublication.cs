using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>
/// Whether Cdc's slot and publication exist, and whether the slot was invalidated, as the catalog says. Read after
/// the server refused to stream with SQLSTATE 42704 (undefined object) or 55000 (object not in prerequisite state),
/// whose message text is localised (<c>lc_messages</c>): the catalog, not the words, says which object is meant.
/// </summary>
/// <param name="SlotExists">A slot of Cdc's name exists.</param>
/// <param name="SlotInvalidated">
/// The slot can no longer be streamed from: its WAL was removed (<c>wal_status = lost</c>, PostgreSQL 13+), or it
/// conflicted with recovery (<c>conflicting</c>, 16+; <c>invalidation_reason</c>, 17+).
/// </param>
/// <param name="PublicationExists">A publication of Cdc's name exists.</param>
internal sealed record SlotAndPublication(bool SlotExists, bool SlotInvalidated, bool PublicationExists)
{
    // to_jsonb reads the columns newer servers have without failing on older ones.
    private const string Sql = """
        SELECT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = $1),
               EXISTS (SELECT FROM pg_replication_slots s WHERE s.slot_name = $1 AND (
                   s.wal_status = 'lost'
                   OR coalesce((to_jsonb(s) ->> 'conflicting')::bool, false)
                   OR to_jsonb(s) ->> 'invalidation_reason' IS NOT NULL)),
               EXISTS (SELECT FROM pg_publication WHERE pubname = $2)
        """;

    public static async Task<SlotAndPublication> ReadAsync(
        SourceConnectionStrings connections, string slot, string publication, CancellationToken cancellationToken)
    {
        var conn = await SourceSetup.OpenAsync(connections, cancellationToken).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            await using var command = new NpgsqlCommand(Sql, conn) { Parameters = { new() { Value = slot }, new() { Value = publication } } };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new SlotAndPublication(reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2));
        }
    }
}
