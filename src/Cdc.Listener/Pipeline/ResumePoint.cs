using System.Globalization;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// Where the stream really stands for a slot, read from the <c>Nats-Msg-Id</c> of the newest message Cdc stored for it
/// (<see cref="MessageIds"/>): transactions ending at or below <see cref="WholeThrough"/> are stored whole; of the
/// transaction ending at <see cref="PartialEnd"/>, the changes up to index <see cref="PartialIndex"/>. Relies on the
/// stream holding a prefix of what Cdc published (one Cdc per stream, published in commit order).
/// </summary>
/// <param name="WholeThrough">End LSN through which every transaction is stored.</param>
/// <param name="PartialEnd">End LSN of a transaction stored in part; 0 when none.</param>
/// <param name="PartialIndex">The highest change index stored of that transaction; -1 when none.</param>
/// <param name="Streamed">The message came from streaming (a change, schema or gap event), not from an initial snapshot.</param>
/// <param name="MessageId">The id it was read from, for messages.</param>
public sealed record ResumePoint(ulong WholeThrough, ulong PartialEnd, int PartialIndex, bool Streamed, string MessageId)
{
    /// <summary>The timeline the id carries (<see cref="MessageIds"/>); 0 when it carries none (older ids, gap and snapshot ids).</summary>
    public uint Timeline { get; init; }

    /// <summary>The PostgreSQL system identifier the message came from (header <c>Cdc-System-Id</c>); null when it has none.</summary>
    public string? SystemId { get; init; }

    /// <summary>The end LSN of the newest transaction the stream holds anything of.</summary>
    public ulong NewestEnd => Math.Max(WholeThrough, PartialEnd);

    /// <summary>The position an id of <paramref name="slot"/> stands for; null when it is not one of Cdc's ids for it.</summary>
    /// <remarks>Ids may carry the timeline after the slot (<c>&lt;slot&gt;:&lt;8 hex digits&gt;:&lt;16 hex digits&gt;:...</c>).</remarks>
    public static ResumePoint? Parse(string slot, string id)
    {
        if (id.Length <= slot.Length + 1 || !id.StartsWith(slot, StringComparison.Ordinal) || id[slot.Length] != ':')
        {
            return null;
        }

        var body = id.AsSpan(slot.Length + 1);
        var timeline = 0u;
        if (body.Length > 9 && body[8] == ':' && uint.TryParse(body[..8], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out timeline))
        {
            body = body[9..];
        }

        return ParsePosition(body, id) is { } point ? point with { Timeline = timeline } : null;
    }

    /// <summary>The position in what follows the slot and timeline: <c>&lt;end LSN&gt;:&lt;index&gt;...</c>, <c>:gap</c>, <c>:read</c>.</summary>
    private static ResumePoint? ParsePosition(ReadOnlySpan<char> body, string id)
    {

        if (body.Length < 18 || body[16] != ':'
            || !ulong.TryParse(body[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var lsn)
            || lsn == 0)
        {
            return null;
        }

        var rest = body[17..];
        var colon = rest.IndexOf(':');
        var head = colon < 0 ? rest : rest[..colon];
        var tail = colon < 0 ? ReadOnlySpan<char>.Empty : rest[(colon + 1)..];
        if (int.TryParse(head, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
        {
            return colon < 0 && index >= 0
                ? new ResumePoint(lsn - 1, lsn, index, Streamed: true, id) // a change: the ones before it in its transaction are stored
                : tail.StartsWith("schema:")
                    ? new ResumePoint(lsn - 1, 0, -1, Streamed: true, id) // a schema event precedes its change: none of the transaction is known stored
                    : null;
        }

        return head switch
        {
            "gap" => new ResumePoint(lsn, 0, -1, Streamed: true, id),
            // An initial snapshot at consistent point lsn: streaming starts with transactions ending after it.
            "read" or "snapshot" => new ResumePoint(lsn, 0, -1, Streamed: false, id),
            _ => null,
        };
    }
}
