using System.Globalization;
using Cdc.Decoding;

namespace Cdc.Listener.Source;

/// <summary>One ancestor timeline of a server: it ended at <paramref name="SwitchPoint"/>, where its child began.</summary>
public readonly record struct TimelineSwitch(uint Timeline, Lsn SwitchPoint);

/// <summary>
/// Where a replication connection landed: IDENTIFY_SYSTEM's system identifier and timeline, and (from timeline 2 on)
/// the ancestors from TIMELINE_HISTORY, oldest first. A promotion keeps the system identifier and starts a new timeline
/// at the switch point; WAL below it is shared with the old timeline, WAL above it is not.
/// </summary>
public sealed record ServerTimeline(string SystemId, uint Timeline, IReadOnlyList<TimelineSwitch> History)
{
    /// <summary>The timeline the WAL position <paramref name="lsn"/> belongs to on this server.</summary>
    /// <remarks>
    /// A commit's end LSN is where its record ends: one ending exactly at a switch point was replayed before the
    /// promotion, so it belongs to the older timeline.
    /// </remarks>
    public uint TimelineAt(Lsn lsn)
    {
        // Fast path for every commit after the newest switch (all of them on a server never promoted).
        if (History.Count == 0 || lsn > History[^1].SwitchPoint)
        {
            return Timeline;
        }

        foreach (var ancestor in History)
        {
            if (lsn <= ancestor.SwitchPoint)
            {
                return ancestor.Timeline;
            }
        }

        return Timeline;
    }

    /// <summary>
    /// How far <paramref name="timeline"/> is shared with this server: the largest LSN for the current
    /// timeline, its switch point for an ancestor, null when it is not in this server's history.
    /// </summary>
    public Lsn? SharedThrough(uint timeline)
    {
        if (timeline == Timeline)
        {
            return new Lsn(ulong.MaxValue);
        }

        foreach (var ancestor in History)
        {
            if (ancestor.Timeline == timeline)
            {
                return ancestor.SwitchPoint;
            }
        }

        return null;
    }

    /// <summary>
    /// A timeline history file: one line per ancestor, <c>parent TLI, tab, switch point, tab, reason</c>; comments
    /// start with <c>#</c>.
    /// </summary>
    public static IReadOnlyList<TimelineSwitch> ParseHistory(string content)
    {
        var result = new List<TimelineSwitch>();
        foreach (var raw in content.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var fields = line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !uint.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var timeline)
                || !Lsn.TryParse(fields[1], out var switchPoint))
            {
                throw new ReplicationSetupException($"cannot read the server's timeline history line '{line}'");
            }

            result.Add(new TimelineSwitch(timeline, switchPoint));
        }

        return result;
    }
}
