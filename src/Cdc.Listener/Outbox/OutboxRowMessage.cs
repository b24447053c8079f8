namespace Cdc.Listener.Outbox;

/// <summary>
/// One message read from an outbox row, ready for the pipeline: the payload points into the decoder's buffers and is
/// valid only while the change is being handled.
/// </summary>
/// <param name="Subject">The subject below <c>&lt;prefix&gt;.&lt;database&gt;._outbox.</c> as the row names it (made valid by <c>SubjectMapper.ForOutbox</c>).</param>
/// <param name="MessageId">Nats-Msg-Id: derived from the row id, so a replay of the row is dropped by JetStream.</param>
internal readonly record struct OutboxRowMessage(
    string Subject,
    string MessageId,
    ReadOnlyMemory<byte> Payload,
    IReadOnlyList<KeyValuePair<string, string>> Headers);
