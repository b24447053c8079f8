namespace Cdc.Sink;

/// <summary>
/// What the destination already holds, read on start so that exactly-once does not depend on the broker's duplicate
/// window: the newest stored message id of a producer, and the newest message of each subject.
/// </summary>
public interface IStreamHistory
{
    /// <summary>
    /// The newest stored message whose <c>Nats-Msg-Id</c> satisfies <paramref name="idMatches"/>, looking back at most
    /// <paramref name="maxScan"/> messages from the end; null when none (or the stream is empty).
    /// </summary>
    Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, CancellationToken cancellationToken = default);

    /// <summary>The newest message of every subject that matches <paramref name="subjectFilter"/> (NATS wildcards).</summary>
    Task<IReadOnlyList<StoredMessage>> LastPerSubjectAsync(string subjectFilter, CancellationToken cancellationToken = default);
}

/// <summary>One message read back from the stream: its sequence, subject, <c>Nats-Msg-Id</c> (empty when none), <c>Content-Type</c> and payload.</summary>
public sealed record StoredMessage(ulong Sequence, string Subject, string MessageId, string? ContentType, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The raw header block (<c>NATS/1.0</c>, then <c>Name: Value</c> lines); empty when none or not read.</summary>
    public string Headers { get; init; } = string.Empty;

    /// <summary>The first value of header <paramref name="name"/>; empty when absent.</summary>
    public string Header(string name) => JetStream.JetStreamHistory.HeaderOf(Headers, name);
}
