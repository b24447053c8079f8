using NATS.Client.Core;

namespace Cdc.Sink;

/// <summary>
/// Publishes the server drops for a permissions violation. They get no PubAck and no 503, only an asynchronous
/// <c>-ERR</c> on the connection (NATS.Net's <see cref="NatsConnection.ServerError"/>); without this they would be
/// republished at every ack timeout forever and hold everything behind them. A denial is retried, in order, like a
/// 503 (an operator may grant the permission) for <see cref="BatchWriterOptions.NoStreamRetryTime"/>; then every
/// unacknowledged message to the denied subject fails with a <see cref="PublishDeniedException"/> and the writer goes on.
/// </summary>
public sealed partial class StreamingBatchWriter
{
    /// <summary>Denied subject -> (first, last) denial of the current episode, as timestamps of the writer's TimeProvider; under its own lock.</summary>
    private readonly Dictionary<string, (long First, long Last)> _denied = new(StringComparer.Ordinal);

    private ValueTask OnServerError(object? sender, NatsServerErrorEventArgs e)
    {
        if (e.Kind != NatsServerErrorKind.PermissionsViolation || !PublishPermissionViolation.TryParse(e.Error, out var violation))
        {
            return ValueTask.CompletedTask;
        }

        var now = _time.GetTimestamp();
        long first;
        lock (_denied)
        {
            // Denied publishes are republished every few hundred ms while retried: a longer silence ended the episode.
            first = _denied.TryGetValue(violation.Subject, out var seen) && _time.GetElapsedTime(seen.Last, now) < _options.AckTimeout ? seen.First : now;
            _denied[violation.Subject] = (first, now);
        }

        if (_time.GetElapsedTime(first, now) <= _options.NoStreamRetryTime)
        {
            RequestResend($"NATS denied a publish: {e.Error}", delay: true);
            return ValueTask.CompletedTask;
        }

        lock (_denied)
        {
            _denied.Remove(violation.Subject);
        }

        foreach (var pending in _window.Snapshot())
        {
            if (violation.Denies(pending.Message.Subject, _replyPrefix))
            {
                _byToken.TryRemove(pending.Token, out _);
                Fail(pending, new PublishDeniedException(pending.Message.Subject, e.Error, _options.NoStreamRetryTime));
            }
        }

        // Messages chained behind a failed one are refused (10070) and republished by the recovery this asks for.
        RequestResend($"NATS denied publishes to '{violation.Subject}'", delay: false);
        return ValueTask.CompletedTask;
    }
}
