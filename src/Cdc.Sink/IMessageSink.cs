namespace Cdc.Sink;

/// <summary>
/// Where change messages go. Messages are written in order; each one is reported exactly once to the
/// <see cref="IAckHandler"/> given at construction. Transient broker failures are retried inside the
/// sink (same message id, so JetStream deduplicates); only permanent failures reach
/// <see cref="IAckHandler.OnFailed"/>.
/// </summary>
public interface IMessageSink : IAsyncDisposable
{
    /// <summary>Connects and creates or validates the destination (stream).</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds a message; completes when the sink has accepted it (may wait for capacity).</summary>
    ValueTask WriteAsync(OutboundMessage message, CancellationToken cancellationToken = default);

    /// <summary>Ends the open batch now instead of waiting for its size or timeout.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}
