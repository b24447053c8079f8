using System.Diagnostics;
using Cdc.Listener.Configuration;
using Cdc.Sink;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Outbox;

/// <summary>
/// Finishes the clean-up a crash left undone (<c>Cdc:Outbox:DeleteRelayed</c>): a row whose messages JetStream
/// acknowledged but whose <c>DELETE</c> had not run yet stays in its table, and the slot, already past it, never brings it
/// back. On start, the message ids among the stream's newest outbox messages (<c>outbox:&lt;table&gt;:&lt;id&gt;[:&lt;index&gt;]</c>)
/// name the rows already relayed: a Debezium row whose id is there, an egress row whose every message is there
/// (refused rows are not, and stay). Housekeeping: a failure is logged and the start goes on.
/// </summary>
internal static class OutboxLeftovers
{
    /// <summary>
    /// How many of the stream's newest sequences are looked at. Rows left behind are those acknowledged in the last
    /// moments before the crash (clean-up runs every 100 ms), so they are near the end of the stream.
    /// </summary>
    internal const int MaxScan = 20_000;

    public static async Task<long> DeleteAsync(IMessageSink sink, OutboxSection options, string outboxSubjects, Func<string> connectionString, ILogger logger, CancellationToken cancellationToken)
    {
        if (!options.DeleteRelayed || sink is not IStreamMessageIds stream)
        {
            return 0;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var ids = await stream.ReadMessageIdsAsync(outboxSubjects, MaxScan, cancellationToken).ConfigureAwait(false);
            if (ids.Count == 0)
            {
                return 0;
            }

            await using var connection = new NpgsqlConnection(connectionString());
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            long deleted = 0;
            foreach (var name in OutboxRelay.Names(options))
            {
                var prefix = "outbox:" + name + ":";
                var relayed = ids.Where(id => id.StartsWith(prefix, StringComparison.Ordinal)).Select(id => id[prefix.Length..]).ToList();
                if (relayed.Count == 0 || await OutboxCatalog.ReadAsync(connection, name, cancellationToken).ConfigureAwait(false) is not { } relation)
                {
                    continue;
                }

                var table = OutboxTable.Recognise(relation);
                deleted += table.Shape == OutboxShape.Debezium
                    ? await OutboxRowStore.DeleteAsync(connection, table, relayed.Distinct(StringComparer.Ordinal).ToArray(), cancellationToken).ConfigureAwait(false)
                    : await DeleteBatchesAsync(connection, table, relayed, cancellationToken).ConfigureAwait(false);
            }

            if (deleted > 0)
            {
                OutboxLog.LeftoversDeleted(logger, deleted, ids.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }

            return deleted;
        }
        catch (Exception e) when (e is NpgsqlException or SinkException or CdcConfigurationException or TimeoutException)
        {
            OutboxLog.LeftoversFailed(logger, e.Message);
            return 0;
        }
    }

    /// <summary>Egress rows: deleted only when the stream holds each of their <c>message_count</c> messages.</summary>
    private static async Task<int> DeleteBatchesAsync(NpgsqlConnection connection, OutboxTable table, List<string> relayed, CancellationToken cancellationToken)
    {
        var batches = relayed
            .Select(rest => rest.LastIndexOf(':') is var colon and > 0 ? (Key: rest[..colon], Index: rest[(colon + 1)..]) : (Key: rest, Index: string.Empty))
            .GroupBy(m => m.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, Count: g.Select(m => m.Index).Distinct(StringComparer.Ordinal).Count()))
            .ToList();
        await using var command = new NpgsqlCommand(
            $"DELETE FROM {OutboxRowStore.Quote(table)} t USING unnest(@keys::text[], @counts::int[]) AS f(k, n) "
            + $"WHERE t.{OutboxRowStore.KeyEquals(table, "f.k")} AND t.{OutboxRowStore.QuoteName(table.Relation.Columns[table.MessageCount].Name)} = f.n",
            connection);
        command.Parameters.AddWithValue("keys", batches.Select(b => b.Key).ToArray());
        command.Parameters.AddWithValue("counts", batches.Select(b => b.Count).ToArray());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
