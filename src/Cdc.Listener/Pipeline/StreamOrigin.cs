using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Source;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// Which PostgreSQL server the stream's newest message for the slot came from: the system identifier in its
/// <see cref="SystemIdHeader"/> header, the timeline in its id. Kept in the stream itself, so that a Cdc restarted
/// against another cluster (a failover to the wrong place, a restored or re-created database) can tell, before its
/// positions are compared with that cluster's slot and WAL.
/// </summary>
internal static class StreamOrigin
{
    /// <summary>Header on every published message: the source's system identifier (IDENTIFY_SYSTEM).</summary>
    public const string SystemIdHeader = "Cdc-System-Id";

    /// <summary>
    /// Whether the stream's newest message of the slot carries no system identifier: written before Cdc kept one (or
    /// by a writer that does not set it). Cdc then adopts the server it reaches as the stream's source, says so in one
    /// line, and its new messages carry the header, so the next start checks it.
    /// </summary>
    public static bool Unmarked(ResumePoint? stored) => stored is { SystemId: null };

    /// <summary>
    /// Checks <paramref name="server"/> against where <paramref name="stored"/> came from. The same system: returns the
    /// server the stream's messages came from (its timeline), to check the first connect's timeline against like a
    /// reconnect. Another system: refused with one line, unless <c>Cdc:AllowSystemChange</c> (then null, and the stream's
    /// positions are not used). Null too when the stream says nothing (no message, or one written without the header).
    /// </summary>
    public static ServerTimeline? Check(CdcOptions options, ResumePoint? stored, ServerTimeline server, out bool changed)
    {
        changed = false;
        if (stored?.SystemId is not { } system)
        {
            return null;
        }

        if (system != server.SystemId)
        {
            if (!options.AllowSystemChange)
            {
                throw new ReplicationSetupException(
                    $"stream '{options.Nats.Stream}' holds slot '{options.Slot}' changes from PostgreSQL system {system} (message {stored.MessageId}), but Cdc:Connection reaches system {server.SystemId}, another cluster: its slot and positions cannot continue this stream; point Cdc:Connection at the original cluster, or set Cdc:AllowSystemChange=true to stream from this one anyway");
            }

            changed = true;
            return null;
        }

        return stored.Timeline == 0 ? null : new ServerTimeline(system, stored.Timeline, []);
    }
}
