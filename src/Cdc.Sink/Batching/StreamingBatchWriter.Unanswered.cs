using Cdc.Sink.JetStream;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Cdc.Sink;

/// <summary>
/// A JetStream that answers nothing while NATS is connected (nats-server stuck on a full store disk): the writer holds
/// every message, names the likely cause once (<see cref="PublishRefusal"/>, so /readyz and <c>cdc status</c> show it)
/// and keeps reading back, instead of republishing blind into a server that stores nothing.
/// </summary>
public sealed partial class StreamingBatchWriter
{
    /// <summary>
    /// Whether the failed read-back <paramref name="e"/> got no answer at all (a timeout, not an error reply); then the
    /// read is tried again later, and once the silence since <paramref name="since"/> outlasts
    /// <see cref="BatchWriterOptions.NoStreamRetryTime"/> the writer reports itself held.
    /// </summary>
    private bool HoldWhileUnanswered(Exception e, long since, long now)
    {
        if (e is not (NatsJSApiNoResponseException or NatsNoReplyException or NatsJSTimeoutException or NatsTimeoutException))
        {
            return false;
        }

        var silence = _time.GetElapsedTime(since, now);
        if (silence > _options.NoStreamRetryTime)
        {
            _refusal.Unanswered(StorageFull.Unanswered(silence, _streamOptions.Name));
        }

        return true;
    }
}
