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
}
