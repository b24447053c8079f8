using Cdc.Sink;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// What reading the stream on start (where it stands, which shapes it holds) may throw, as the listener's errors:
/// retried while NATS may come back, fatal when JetStream refused the request.
/// </summary>
internal static class StreamReadErrors
{
    public static bool Handles(Exception e) => e is SinkException or NATS.Client.Core.NatsException or IOException or TimeoutException;

    /// <param name="e">An exception <see cref="Handles"/> accepts.</param>
    /// <param name="what">What was read, for the message: "the stream's newest message".</param>
    public static CdcException From(Exception e, string what) => e is SinkException { IsTransient: false }
        ? new SinkDeliveryException($"NATS refused reading {what}: {e.Message}", e)
        : new SinkUnavailableException($"NATS: reading {what}: {e.Message}", e);
}
