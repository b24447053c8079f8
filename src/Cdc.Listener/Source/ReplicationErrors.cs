using Cdc.Decoding;
using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>The slot is held by another walsender (another cdc instance): wait as a standby.</summary>
public sealed class SlotBusyException(string message, int? activePid, Exception? innerException = null)
    : CdcException(message, isTransient: true, innerException)
{
    public int? ActivePid { get; } = activePid;
}

/// <summary>
/// Maps what breaks a replication session to a transient or fatal <see cref="CdcException"/>, by exception type and
/// SQLSTATE only: a server with another <c>lc_messages</c> behaves the same. Two SQLSTATEs name no object; for them
/// the caller reads the catalog (<see cref="NeedsCatalog"/>, <see cref="SlotAndPublication"/>).
/// </summary>
internal static class ReplicationErrors
{
    /// <summary>
    /// 42704 (undefined object) is the slot or the publication; 55000 (object not in prerequisite state) is, among
    /// others, an invalidated slot. Which one is meant only the catalog says.
    /// </summary>
    public static bool NeedsCatalog(Exception e)
        => e is PostgresException { SqlState: PostgresErrorCodes.UndefinedObject or PostgresErrorCodes.ObjectNotInPrerequisiteState };

    /// <param name="e">What ended the session.</param>
    /// <param name="slot">Cdc's slot.</param>
    /// <param name="publication">Cdc's publication.</param>
    /// <param name="catalog">The catalog read after <paramref name="e"/> when <see cref="NeedsCatalog"/>; null when it could not be read.</param>
    public static CdcException Classify(Exception e, string slot, string publication, SlotAndPublication? catalog = null)
    {
        switch (e)
        {
            case CdcException cdc:
                return cdc;
            case PgOutputException pg:
                return new ReplicationSetupException($"cannot decode the replication stream: {pg.Message}", pg);
            case PostgresException { SqlState: PostgresErrorCodes.ObjectInUse } pe:
                return new SlotBusyException($"slot '{slot}' is active for another process", ParsePid(pe.MessageText), pe);
            case PostgresException pe when NeedsCatalog(pe) && catalog is { SlotExists: false }:
                return new ReplicationSetupException($"slot '{slot}' does not exist any more on this server (dropped while Cdc ran, or a standby promoted without it: only PostgreSQL 17 failover slots, synced to the standby, survive a promotion): {pe.MessageText}", pe);
            case PostgresException pe when NeedsCatalog(pe) && catalog is { SlotInvalidated: true }:
                return new ReplicationSetupException(
                    $"slot '{slot}' was invalidated and can no longer be used (changes were lost; drop and recreate the slot and resnapshot): {pe.MessageText}", pe);
            case PostgresException { SqlState: PostgresErrorCodes.UndefinedObject } pe when catalog is { PublicationExists: false }:
                return new ReplicationSetupException($"publication '{publication}' does not exist (was it dropped?): {pe.MessageText}", pe);
            case PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification or PostgresErrorCodes.InsufficientPrivilege } pe:
                return new ReplicationSetupException($"PostgreSQL refused: {pe.MessageText}", pe);
            case PostgresException pe:
                return new ReplicationInterruptedException($"PostgreSQL: {pe.SqlState} {pe.MessageText}", pe);
            case NpgsqlException or IOException or TimeoutException or EndOfStreamException or System.Net.Sockets.SocketException or ObjectDisposedException:
                return new ReplicationInterruptedException(e.GetBaseException().Message, e);
            default:
                return new ReplicationSetupException($"unexpected error in the replication session: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private static int? ParsePid(string message)
    {
        // "replication slot "x" is active for PID 1234"; translations keep "PID <n>" last. Only shown in logs.
        var at = message.LastIndexOf("PID ", StringComparison.Ordinal);
        return at >= 0 && int.TryParse(message.AsSpan(at + 4), out var pid) ? pid : null;
    }
}
