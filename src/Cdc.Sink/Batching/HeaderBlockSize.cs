namespace Cdc.Sink;

/// <summary>
/// Checks and sizes each message's header block before it is published. A producer passes the same headers array for
/// every message of a kind (<c>Nats-Expected-Stream</c>, the content type): those are checked and counted once, then
/// recognised by their strings; only the message id is looked at per message.
/// </summary>
internal sealed class HeaderBlockSize
{
    private KeyValuePair<string, string>[] _checked = [];
    private int _checkedLength;

    /// <summary>The header block's bytes (see <see cref="WireFormat.HeaderBlockLength(string, IReadOnlyList{KeyValuePair{string, string}})"/>); throws on a header NATS cannot carry.</summary>
    public int Of(string messageId, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        if (!PublishHeaders.SameStrings(headers, _checked))
        {
            var length = WireFormat.HeadersLength(headers);
            _checked = headers is null || headers.Count == 0 ? [] : [.. headers];
            _checkedLength = length;
        }

        return WireFormat.HeaderBlockLength(messageId, _checkedLength);
    }
}
