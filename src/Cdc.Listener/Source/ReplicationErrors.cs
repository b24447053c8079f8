using Cdc.Decoding;
using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>The slot is held by another walsender (another cdc instance): wait as a standby.</summary>
public sealed class SlotBusyException(string message, int? activePid, Exception? innerException = null)
    : CdcException(message, isTransient: true, innerException)
{
    public int? ActivePid { get; } = activePid;
}

/// <summary>Maps what breaks a replication session to a transient or fatal <see cref="CdcException"/>.</summary>
internal static class ReplicationErrors
{
    public static CdcException Classify(Exception e, string slot, string publication)
    {
        switch (e)
        {
            case CdcException cdc:
                return cdc;
            case PgOutputException pg:
                return new ReplicationSetupException($"cannot decode the replication stream: {pg.Message}", pg);
            case PostgresException { SqlState: "55006" } pe:
                return new SlotBusyException($"slot '{slot}' is active for another process", ParsePid(pe.MessageText), pe);
            case PostgresException { SqlState: "42704" } pe when pe.MessageText.Contains("publication", StringComparison.Ordinal):
                return new ReplicationSetupException($"publication '{publication}' does not exist (was it dropped?): {pe.MessageText}", pe);
            case PostgresException { SqlState: "42704" } pe:
                return new ReplicationSetupException($"slot '{slot}' does not exist any more (dropped while Cdc ran?): {pe.MessageText}", pe);
            case PostgresException { SqlState: "55000" } pe when IsSlotInvalidated(pe):
                return new ReplicationSetupException(
                    $"slot '{slot}' was invalidated and can no longer be used (changes were lost; drop and recreate the slot and resnapshot): {pe.MessageText}", pe);
            case PostgresException { SqlState: "28P01" or "28000" or "42501" } pe:
                return new ReplicationSetupException($"PostgreSQL refused: {pe.MessageText}", pe);
            case PostgresException pe:
                return new ReplicationInterruptedException($"PostgreSQL: {pe.SqlState} {pe.MessageText}", pe);
            case NpgsqlException or IOException or TimeoutException or EndOfStreamException or System.Net.Sockets.SocketException or ObjectDisposedException:
                return new ReplicationInterruptedException(e.GetBaseException().Message, e);
            default:
                return new ReplicationSetupException($"unexpected error in the replication session: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// PostgreSQL 15 says "cannot read from logical replication slot" (walsender) or "can no longer get changes from
    /// replication slot" (SQL functions), with the reason ("...has been invalidated...") in the detail; older and
    /// newer versions word it differently, so the message and the detail are both looked at.
    /// </summary>
    private static bool IsSlotInvalidated(PostgresException pe)
    {
        var text = pe.MessageText + " " + pe.Detail;
        return text.Contains("invalidated", StringComparison.OrdinalIgnoreCase)
            || text.Contains("can no longer get changes", StringComparison.OrdinalIgnoreCase)
            || text.Contains("cannot read from logical replication slot", StringComparison.OrdinalIgnoreCase)
            || (text.Contains("removed", StringComparison.OrdinalIgnoreCase) && text.Contains("WAL", StringComparison.Ordinal));
    }

    private static int? ParsePid(string message)
    {
        // "replication slot "x" is active for PID 1234"
        var at = message.LastIndexOf("PID ", StringComparison.Ordinal);
        return at >= 0 && int.TryParse(message.AsSpan(at + 4), out var pid) ? pid : null;
    }
}
