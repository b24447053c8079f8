using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>
/// PostgreSQL 17 failover slots: a logical slot created with <c>failover = true</c> is copied to standbys that run
/// with <c>sync_replication_slots = on</c> (and <c>hot_standby_feedback</c>, <c>primary_slot_name</c>, a
/// <c>dbname</c> in <c>primary_conninfo</c>), so a promoted standby has it and Cdc continues there. With
/// <c>synchronized_standby_slots</c> on the primary, the slot never sends Cdc a change its standby does not have yet.
/// </summary>
internal static partial class FailoverSlots
{
    public const int MinimumVersionNum = 170000;

    /// <summary>Warns when the existing slot on PostgreSQL 17+ is not a failover slot (made by an older Cdc, or by hand).</summary>
    public static async Task WarnIfNotFailoverAsync(NpgsqlConnection conn, string slot, int serverVersionNum, ILogger log, CancellationToken cancellationToken)
    {
        if (serverVersionNum < MinimumVersionNum)
        {
            return;
        }

        await using var cmd = new NpgsqlCommand("SELECT NOT failover FROM pg_replication_slots WHERE slot_name = $1", conn);
        cmd.Parameters.AddWithValue(slot);
        if (await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
        {
            NotFailover(log, slot);
        }
    }

    [LoggerMessage(1031, LogLevel.Warning, "Slot {Slot} is not a failover slot: a promoted standby will not have it. On the primary, through a replication connection: ALTER_REPLICATION_SLOT {Slot} (FAILOVER true)")]
    private static partial void NotFailover(ILogger logger, string slot);
}
