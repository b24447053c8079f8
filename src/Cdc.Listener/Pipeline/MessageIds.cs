using System.Globalization;
using Cdc.Decoding;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// Deterministic <c>Nats-Msg-Id</c>s: <c>&lt;slot&gt;:&lt;timeline, 8 hex digits&gt;:&lt;end LSN, 16 hex digits&gt;:&lt;index&gt;</c>.
/// A transaction replayed after a crash or a reconnect yields the same ids, so JetStream's duplicate window drops the
/// copies. The timeline is the one the commit's end LSN lies on (<see cref="Source.ServerTimeline.TimelineAt"/>):
/// a commit replayed by a promoted standby keeps its id, while a new commit on the new timeline never takes the id of
/// one published from the old primary at the same position. Fixed widths make ids sort in commit order (a new timeline
/// starts above everything its parent had).
/// </summary>
public static class MessageIds
{
    /// <summary>One per change: written straight into the id string (its length is known up front).</summary>
    public static string ForChange(string slot, uint timeline, Lsn endLsn, int index)
    {
        if (index < 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{slot}:{timeline:X8}:{endLsn.Value:X16}:{index}");
        }

        var length = slot.Length + 1 + 8 + 1 + 16 + 1 + DigitCount((uint)index);
        return string.Create(length, (slot, timeline, endLsn.Value, index), static (span, state) =>
        {
            state.slot.CopyTo(span);
            var n = state.slot.Length;
            span[n++] = ':';
            state.timeline.TryFormat(span[n..], out var tli, "X8", CultureInfo.InvariantCulture);
            n += tli;
            span[n++] = ':';
            state.Value.TryFormat(span[n..], out var hex, "X16", CultureInfo.InvariantCulture);
            n += hex;
            span[n++] = ':';
            state.index.TryFormat(span[n..], out _, default, CultureInfo.InvariantCulture);
        });
    }

    /// <summary>Schema event emitted before change <paramref name="beforeIndex"/> of the transaction.</summary>
    public static string ForSchema(string slot, uint timeline, Lsn endLsn, int beforeIndex, uint relationId)
        => string.Create(CultureInfo.InvariantCulture, $"{slot}:{timeline:X8}:{endLsn.Value:X16}:{beforeIndex}:schema:{relationId}");

    /// <summary>
    /// Reads the position out of a change or schema id (what a restart needs to know where the stream stands);
    /// false for anything else (snapshot ids, ids of the format before timelines, other writers' ids). Slot names are
    /// <c>[a-z0-9_]</c>, so the first ':' ends the slot.
    /// </summary>
    public static bool TryParse(string id, out string slot, out uint timeline, out Lsn endLsn, out int index)
    {
        slot = string.Empty;
        timeline = 0;
        endLsn = Lsn.Invalid;
        index = 0;
        var parts = id.Split(':');
        if (parts.Length < 4 || parts[1].Length != 8 || parts[2].Length != 16
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var tli)
            || !ulong.TryParse(parts[2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var lsn)
            || !int.TryParse(parts[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
        {
            return false;
        }

        (slot, timeline, endLsn, index) = (parts[0], tli, new Lsn(lsn), i);
        return true;
    }

    private static int DigitCount(uint value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
