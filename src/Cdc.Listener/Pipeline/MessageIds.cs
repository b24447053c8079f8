using System.Globalization;
using Cdc.Decoding;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// Deterministic <c>Nats-Msg-Id</c>s: <c>&lt;slot&gt;:&lt;end LSN, 16 hex digits&gt;:&lt;index&gt;</c>. A transaction
/// replayed after a crash yields the same ids, so JetStream's duplicate window drops the copies; the
/// fixed-width LSN makes ids sort in commit order.
/// </summary>
public static class MessageIds
{
    public static string ForChange(string slot, Lsn endLsn, int index)
        => string.Create(CultureInfo.InvariantCulture, $"{slot}:{endLsn.Value:X16}:{index}");

    /// <summary>Schema event emitted before change <paramref name="beforeIndex"/> of the transaction.</summary>
    public static string ForSchema(string slot, Lsn endLsn, int beforeIndex, uint relationId)
        => string.Create(CultureInfo.InvariantCulture, $"{slot}:{endLsn.Value:X16}:{beforeIndex}:schema:{relationId}");

    /// <summary>Parses an id made by <see cref="ForChange"/>; false for anything else.</summary>
    public static bool TryParse(string id, out string slot, out Lsn endLsn, out int index)
    {
        slot = string.Empty;
        endLsn = Lsn.Invalid;
        index = 0;
        var parts = id.Split(':');
        if (parts.Length != 3
            || !ulong.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var lsn)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            return false;
        }

        slot = parts[0];
        endLsn = new Lsn(lsn);
        return true;
    }
}
