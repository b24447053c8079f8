using Cdc.Decoding;
using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Source;

/// <summary>
/// Checks on every connect that the server can continue what Cdc published: the same system (identifier), and a
/// timeline that is the remembered one or descends from it with everything published at or below the switch point.
/// A promoted standby with the synced slot passes; a different cluster, a sibling timeline, or a standby promoted
/// before it had what Cdc already published stops Cdc with one line, since continuing would silently mix two
/// histories (new commits could reuse positions Cdc already skips as confirmed).
/// </summary>
public sealed class TimelineGuard(ILogger logger)
{
    private ServerTimeline? _known;
    private Lsn _storedThrough;

    /// <summary>The server of the current session; null before the first connect.</summary>
    public ServerTimeline? Current => _known;

    /// <summary>
    /// Before the first connect: the server the stream's newest message came from (its system and timeline, read from
    /// the stream), and the newest end LSN the stream holds, so the first connect of this process is checked as a
    /// reconnect would be, e.g. a restart against an old primary after Cdc had followed a promotion.
    /// </summary>
    public void Seed(ServerTimeline stored, Lsn storedThrough)
    {
        _known ??= stored;
        _storedThrough = storedThrough;
    }

    /// <summary>
    /// Accepts <paramref name="server"/> or throws a fatal <see cref="ReplicationSetupException"/>. <paramref name="published"/>
    /// is the newest end LSN whose changes may be in the stream (all transactions handed to the sink are acknowledged
    /// or failed by the time a session reconnects).
    /// </summary>
    public void Accept(ServerTimeline server, Lsn published)
    {
        published = new Lsn(Math.Max(published.Value, _storedThrough.Value));
        if (_known is not { } known)
        {
            _known = server;
            return;
        }

        if (known.SystemId != server.SystemId)
        {
            throw new ReplicationSetupException(
                $"the source is now PostgreSQL system {server.SystemId}, not {known.SystemId} that Cdc streamed from: another cluster's slot and positions cannot continue this stream; point Cdc:Connection back at the original cluster or start a new stream and slot");
        }

        if (known.Timeline == server.Timeline)
        {
            return;
        }

        var shared = server.SharedThrough(known.Timeline);
        if (shared is null)
        {
            throw new ReplicationSetupException(
                $"the source is on timeline {server.Timeline}, which does not descend from timeline {known.Timeline} that Cdc streamed from (a different standby was promoted or the server was restored): changes Cdc published may not exist there; check the failover and start a new stream and slot");
        }

        if (published > shared.Value)
        {
            throw new ReplicationSetupException(
                $"the promoted server's timeline {server.Timeline} left timeline {known.Timeline} at {shared.Value}, but Cdc already published changes up to {published} from the old primary: those are not on the new primary and new commits would reuse their positions; keep the old primary's slot from outrunning its standby (synchronized_standby_slots on PostgreSQL 17) and start a new stream and slot");
        }

        TimelineLog.Followed(logger, known.Timeline, server.Timeline, shared.Value.ToString(), published.ToString());
        _known = server;
    }
}

internal static partial class TimelineLog
{
    [LoggerMessage(1030, LogLevel.Warning, "Followed a promotion: timeline {From} -> {To} (switch point {SwitchPoint}); Cdc had published up to {Published}, all of it below the switch point")]
    public static partial void Followed(ILogger logger, uint from, uint to, string switchPoint, string published);
}
