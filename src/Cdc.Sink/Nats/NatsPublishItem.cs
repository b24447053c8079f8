namespace Cdc.Sink.Nats;

/// <summary>
/// One message of <see cref="NatsConnection.PublishManyAsync"/>. The reply subject is
/// <see cref="ReplyTo"/> followed by <see cref="ReplyToken"/> when the token is not negative
/// (the muxed inbox: no string per message).
/// </summary>
/// <remarks>
/// An item is checked when it is made: an invalid subject, reply subject, message id or header throws an
/// <see cref="ArgumentException"/> here, so a publish never fails half-way through its items for bad input.
/// The header block's length is measured once, when <see cref="MessageId"/> or <see cref="Headers"/> is set
/// (constructor, initializer or <c>with</c>), and reused by every size check and every (re)publish. The
/// headers list must not change afterwards: a block that no longer has the measured length is refused when
/// written, before any of the message reaches the connection.
/// </remarks>
public readonly record struct NatsPublishItem(
    string Subject,
    ReadOnlyMemory<byte> Payload,
    string? MessageId = null,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null,
    string? ReplyTo = null,
    long ReplyToken = -1)
{
    private readonly string _subject = ProtocolWriter.ValidateSubject(Subject);
    private readonly string? _replyTo = CheckedReply(ReplyTo);
    private readonly string? _messageId = MessageId;
    private readonly IReadOnlyList<KeyValuePair<string, string>>? _headers = Headers;

    public string Subject
    {
        get => _subject;
        init => _subject = ProtocolWriter.ValidateSubject(value);
    }

    /// <summary>The reply subject, or with <see cref="ReplyToken"/> its prefix (the muxed inbox).</summary>
    public string? ReplyTo
    {
        get => _replyTo;
        init => _replyTo = CheckedReply(value);
    }

    /// <summary><c>Nats-Msg-Id</c>, the first header.</summary>
    public string? MessageId
    {
        get => _messageId;
        init
        {
            _messageId = value;
            HeaderLength = Measure(value, _headers);
        }
    }

    /// <summary>Headers after <c>Nats-Msg-Id</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers
    {
        get => _headers;
        init
        {
            _headers = value;
            HeaderLength = Measure(_messageId, value);
        }
    }

    /// <summary>Bytes of the header block (HPUB); 0 without headers (PUB).</summary>
    public int HeaderLength { get; private init; } = Measure(MessageId, Headers);

    /// <summary>Bytes the server counts against max_payload (header block plus payload).</summary>
    public long Size => HeaderLength + Payload.Length;

    private static string? CheckedReply(string? replyTo) => replyTo is null ? null : ProtocolWriter.ValidateSubject(replyTo, "reply subject");

    private static int Measure(string? messageId, IReadOnlyList<KeyValuePair<string, string>>? headers)
        => messageId is not null || headers is { Count: > 0 } ? NatsHeaders.BlockLength(messageId, headers) : 0;
}
