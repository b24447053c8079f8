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
    /// <summary>One per change: written straight into the id string (its length is known up front).</summary>
    public static string ForChange(string slot, Lsn endLsn, int index)
    {
        if (index < 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{slot}:{endLsn.Value:X16}:{index}");
        }

        var length = slot.Length + 1 + 16 + 1 + DigitCount((uint)index);
        return string.Create(length, (slot, endLsn.Value, index), static (span, state) =>
        {
            state.slot.CopyTo(span);
            var n = state.slot.Length;
            span[n++] = ':';
            state.Value.TryFormat(span[n..], out var hex, "X16", CultureInfo.InvariantCulture);
            n += hex;
            span[n++] = ':';
            state.index.TryFormat(span[n..], out _, default, CultureInfo.InvariantCulture);
        });
    }

    /// <summary>Schema event emitted before change <paramref name="beforeIndex"/> of the transaction.</summary>
    public static string ForSchema(string slot, Lsn endLsn, int beforeIndex, uint relationId)
        => string.Create(CultureInfo.InvariantCulture, $"{slot}:{endLsn.Value:X16}:{beforeIndex}:schema:{relationId}");

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
