namespace Cdc.Sink;

/// <summary>
/// Checks and sizes each message's header block before it is published. A producer passes the same headers array for
/// every message of a kind (<c>Nats-Expected-Stream</c>, the content type): those are checked and counted once, then
/// recognised by their strings; only the message id is looked at per message. Headers made per message (CloudEvents
/// binary: a new list each time) are counted without being kept: a copy is made only of a list passed twice in a row.
/// </summary>
internal sealed class HeaderBlockSize
{
    private KeyValuePair<string, string>[] _checked = [];
    private int _checkedLength;

    /// <summary>The list of the last call not recognised, by reference only (never read again).</summary>
    private IReadOnlyList<KeyValuePair<string, string>>? _lastMissed;

    /// <summary>The header block's bytes (see <see cref="WireFormat.HeaderBlockLength(string, IReadOnlyList{KeyValuePair{string, string}})"/>); throws on a header NATS cannot carry.</summary>
    public int Of(string messageId, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        if (PublishHeaders.SameStrings(headers, _checked))
        {
            return WireFormat.HeaderBlockLength(messageId, _checkedLength);
        }

        var length = WireFormat.HeadersLength(headers);
        if (ReferenceEquals(headers, _lastMissed) || headers is null || headers.Count == 0)
        {
            _checked = headers is null || headers.Count == 0 ? [] : [.. headers];
            _checkedLength = length;
        }

        _lastMissed = headers;

        return WireFormat.HeaderBlockLength(messageId, length);
    }
}
