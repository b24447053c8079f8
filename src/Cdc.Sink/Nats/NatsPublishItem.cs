namespace Cdc.Sink.Nats;

/// <summary>
/// One message of <see cref="NatsConnection.PublishManyAsync"/>. The reply subject is
/// <see cref="ReplyTo"/> followed by <see cref="ReplyToken"/> when the token is not negative
/// (the muxed inbox: no string per message).
/// </summary>
public readonly record struct NatsPublishItem(
    string Subject,
    ReadOnlyMemory<byte> Payload,
    string? MessageId = null,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null,
    string? ReplyTo = null,
    long ReplyToken = -1)
{
    /// <summary>Bytes the server counts against max_payload (header block plus payload).</summary>
    public long Size =>
        (MessageId is not null || Headers is { Count: > 0 } ? NatsHeaders.BlockLength(MessageId, Headers) : 0) + Payload.Length;
}
