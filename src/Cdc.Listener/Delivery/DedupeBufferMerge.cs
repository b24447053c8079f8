using Cdc.Sink;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Delivery;

/// <summary>
/// Coalescing a change that left TOASTed columns unchanged (no value sent) over an older pending change of the
/// same row: the survivor must carry the older change's values of those columns, or consumers never see them.
/// </summary>
internal static class DedupeBufferMerge
{
    /// <summary>
    /// <paramref name="newer"/> with its unchanged-TOAST new-row columns filled from <paramref name="older"/>'s new
    /// row, as a message in the same place of the same chunk; null when the older change has none of those values.
    /// </summary>
    public static OutboundMessage? FillUnchanged(OutboundMessage older, OutboundMessage newer)
    {
        var newEvent = ChangeEvent.Parser.ParseFrom(newer.Payload.Span);
        ChangeEvent? oldEvent = null;
        var filled = false;
        foreach (var column in newEvent.NewRow)
        {
            if (column.Value is not { UnchangedToast: true })
            {
                continue;
            }

            oldEvent ??= ChangeEvent.Parser.ParseFrom(older.Payload.Span);
            foreach (var candidate in oldEvent.NewRow)
            {
                if (candidate.Name == column.Name && candidate.Value is { UnchangedToast: false } value)
                {
                    column.Value = value;
                    filled = true;
                    break;
                }
            }
        }

        return filled
            ? new OutboundMessage
            {
                Kind = newer.Kind,
                Table = newer.Table,
                Subject = newer.Subject,
                MessageId = newer.MessageId,
                Payload = newEvent.ToByteArray(),
                Headers = newer.Headers,
                State = newer.State,
            }
            : null;
    }
}
