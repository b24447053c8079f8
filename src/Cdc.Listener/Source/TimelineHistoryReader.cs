using System.Globalization;
using System.Reflection;
using System.Text;
using Npgsql.Replication;

namespace Cdc.Listener.Source;

/// <summary>
/// TIMELINE_HISTORY through Npgsql. Npgsql 10.0.3's <see cref="ReplicationConnection.TimelineHistory"/> casts the
/// <c>content</c> column to <c>byte[]</c>, but PostgreSQL sends it typed as text (seen on 17), so the call fails with
/// an <see cref="InvalidCastException"/> after the whole reply was read. The same command then goes through Npgsql's
/// own single-row reader, which returns text columns as strings. The workaround is checked by the PostgreSQL 17
/// failover test; drop it when Npgsql reads the column by its type.
/// </summary>
internal static class TimelineHistoryReader
{
    private static readonly MethodInfo? ReadSingleRow =
        typeof(ReplicationConnection).GetMethod("ReadSingleRow", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(string), typeof(CancellationToken)]);

    public static async Task<string> ReadAsync(ReplicationConnection connection, uint timeline, CancellationToken cancellationToken)
    {
        try
        {
            var file = await connection.TimelineHistory(timeline, cancellationToken).ConfigureAwait(false);
            return Encoding.UTF8.GetString(file.Content);
        }
        catch (InvalidCastException e)
        {
            if (ReadSingleRow?.Invoke(connection, [string.Create(CultureInfo.InvariantCulture, $"TIMELINE_HISTORY {timeline}"), cancellationToken]) is not Task<object[]> reading)
            {
                throw new ReplicationSetupException($"cannot read timeline {timeline}'s history through this Npgsql version (its TIMELINE_HISTORY reply has a text column it casts to bytes)", e);
            }

            var row = await reading.ConfigureAwait(false);
            return row.Length > 1 && row[1] is string content
                ? content
                : throw new ReplicationSetupException($"the server's TIMELINE_HISTORY {timeline} reply has no text content", e);
        }
    }
}
