namespace Cdc.Consumer.Errors;

/// <summary>An event the handler failed on, as recorded (reflex's consumer error).</summary>
/// <param name="Consumer">The consumer name.</param>
/// <param name="StreamSequence">The event's stream sequence.</param>
/// <param name="MessageId">Its <c>Nats-Msg-Id</c>, when it had one.</param>
/// <param name="Subject">Its subject.</param>
/// <param name="Error">The last failure (type and message).</param>
/// <param name="Status">What the consumer did next.</param>
/// <param name="Attempts">How many times the handler ran on it.</param>
/// <param name="CreatedAt">When it was recorded.</param>
public sealed record ConsumerError(
    string Consumer,
    ulong StreamSequence,
    string? MessageId,
    string Subject,
    string Error,
    ConsumerErrorStatus Status,
    int Attempts,
    DateTimeOffset CreatedAt);

/// <summary>What became of an event the handler failed on.</summary>
public enum ConsumerErrorStatus
{
    /// <summary>Passed over (<see cref="ErrorPolicy.Skip"/>).</summary>
    Skipped,

    /// <summary>The consumer stopped on it (<see cref="ErrorPolicy.Stop"/>).</summary>
    Stopped,
}
