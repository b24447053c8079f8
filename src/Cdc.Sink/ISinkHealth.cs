namespace Cdc.Sink;

/// <summary>
/// The sink's link to its broker, for status reports: a sink can look idle and fine while it cannot deliver anything.
/// </summary>
public interface ISinkHealth
{
    /// <summary>True while the sink holds a live connection to its broker.</summary>
    bool IsConnected { get; }

    /// <summary>Since when the sink has not been connected (its creation, before the first connection); null while connected.</summary>
    DateTimeOffset? DisconnectedSince { get; }

    /// <summary>Why the newest connection attempt failed or the connection was lost; may name a server URL (redact before showing).</summary>
    string? LastConnectionError { get; }

    /// <summary>
    /// Why the broker refuses to store messages right now (a full stream or server: nothing is lost, delivery waits),
    /// with what to change; null while it stores them.
    /// </summary>
    string? PublishRefusal { get; }

    /// <summary>
    /// Publishes the broker answered as duplicates: JetStream already held a message with that Nats-Msg-Id within its
    /// duplicate window, so it stored nothing (a republish of a message whose PubAck was lost, a replay after a restart).
    /// </summary>
    long JetStreamDuplicates => 0;
}
