using System.Globalization;
using Cdc.Decoding;

namespace Cdc.Listener.Backfill.Window;

/// <summary>
/// A backfill chunk's low or high watermark: a transactional logical decoding message with prefix <see cref="Prefix"/>
/// written through <c>pg_logical_emit_message</c> just before (low) and just after (high) the chunk is read. Its
/// content names the slot, the job, the chunk and the attempt, so a watermark of another Cdc (slot) or of an
/// attempt cut short by a crash is recognised and ignored. Watermarks are consumed, never published.
/// </summary>
internal readonly record struct Watermark(bool IsHigh, string Slot, string Job, long Chunk, int Attempt)
{
    public const string Prefix = "cdc.watermark";

    public string ToContent() => string.Create(CultureInfo.InvariantCulture, $"{(IsHigh ? "high" : "low")}:{Slot}:{Job}:{Chunk}:{Attempt}");

    public bool SameChunk(in Watermark other) => Slot == other.Slot && Job == other.Job && Chunk == other.Chunk && Attempt == other.Attempt;

    public static bool IsWatermark(LogicalMessage message) => message.Prefix == Prefix;

    public static bool TryParse(ReadOnlySpan<byte> content, out Watermark watermark)
    {
        watermark = default;
        var parts = System.Text.Encoding.UTF8.GetString(content).Split(':');
        if (parts.Length != 5 || parts[0] is not ("low" or "high")
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var chunk)
            || !int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var attempt))
        {
            return false;
        }

        watermark = new Watermark(parts[0] == "high", parts[1], parts[2], chunk, attempt);
        return true;
    }
}
