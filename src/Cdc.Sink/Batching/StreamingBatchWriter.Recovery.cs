using Cdc.Sink.JetStream;
using NATS.Client.Core;

namespace Cdc.Sink;

/// <summary>
/// Recovery: republishing the unacknowledged messages in order after a refusal, a reconnect or a missing PubAck, after
/// reading back from the stream which of them it holds already.
/// </summary>
public sealed partial class StreamingBatchWriter
{
    /// <summary>When the reads of the stream started failing while connected (0: they answer, or NATS is away).</summary>
    private long _unansweredSince;

    /// <summary>When the connection last opened: the time a read may wait for an answer never starts before it.</summary>
    private long _connectedAt;

    /// <summary>
    /// The stream's last sequence when this writer started: what lies at or below it was stored by someone else (another
    /// cluster's ids can coincide under Cdc:AllowSystemChange; dedupe mode replays ids an earlier run stored), so the
    /// read-back never takes it for a copy of this writer's messages.
    /// </summary>
    private ulong _storedBeforeStart;

    /// <summary>Marks every unacknowledged message for republishing (in order, by whoever publishes next).</summary>
    internal void RequestResend(string reason, bool delay)
    {
        _resendReason = reason;
        if (delay)
        {
            Volatile.Write(ref _resendDelay, 1);
        }

        Volatile.Write(ref _resendRequested, 1);
        TriggerRecovery();
    }

    private ValueTask OnConnectionOpened(object? sender, NatsEventArgs e)
    {
        Volatile.Write(ref _connectedAt, _time.GetTimestamp());

        // Publishes written to the lost socket got no PubAck and never will: republish the window now
        // instead of waiting for the ack timeout.
        if (_window.Count > 0)
        {
            RequestResend("reconnected", delay: false);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Republishes every unacknowledged message, in order, the first without a chain header. Holds the publish lock.</summary>
    private async Task RecoverIfNeededAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _resendRequested) == 1)
        {
            Volatile.Write(ref _resendRequested, 0);
            var refused = _refusal.Current is not null;
            if (Interlocked.Exchange(ref _resendDelay, 0) == 1)
            {
                // A full stream or server stays full for a while: retry less often, and without a line per retry.
                await Task.Delay(TimeSpan.FromMilliseconds(refused ? 1000 : 250), cancellationToken).ConfigureAwait(false);
            }

            var pending = _window.Snapshot();
            try
            {
                pending = await SettleStoredAsync(pending, cancellationToken).ConfigureAwait(false);
                _firstUnreadable = 0;
                _refusal.Answered();
                _unansweredSince = 0;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (!ReadAgainLater(e, out var firstFailure))
                {
                    // A definite refusal (the stream is gone, no right to read it), or JetStream unavailable for longer
                    // than NoStreamRetryTime: republish, and let the PubAcks say what happens (a missing stream fails
                    // the messages); only the duplicate window guards against storing one twice then.
                    SinkLog.StreamUnreadableRepublishing(_logger, e.Message);
                }
                else
                {
                    // Republishing blind could store a message twice once the duplicate window has passed: look again later.
                    if (firstFailure)
                    {
                        SinkLog.StreamUnreadable(_logger, e.Message);
                    }

                    Volatile.Write(ref _resendDelay, 1);
                    Volatile.Write(ref _resendRequested, 1);
                    continue;
                }
            }

            if (pending.Length == 0)
            {
                continue;
            }

            if (!refused)
            {
                SinkLog.Republishing(_logger, pending.Length, _resendReason);
            }

            var first = true;
            foreach (var message in pending)
            {
                if (message.InWindow)
                {
                    _window.Restamp(message);
                    await PublishAsync(message, first, cancellationToken).ConfigureAwait(false);
                    first = false;
                }
            }
        }
    }

    /// <summary>
    /// Before a republish: reads back from the stream's end (at most <see cref="MaxStoredScan"/> messages) the newest of
    /// <paramref name="pending"/> it holds, and reports it and every message before it as acknowledged, since the stream
    /// holds a prefix of the publish order (the chain). Returns the rest, to republish. This is what keeps a message
    /// whose PubAck was lost from being stored twice after an outage longer than the duplicate window. Without the
    /// chain, or when neither a pending message nor the one before them is found within the bound, everything is
    /// republished and the duplicate window decides. Holds the publish lock.
    /// </summary>
    /// <remarks>
    /// Sequences of the messages before the one found are counted back from it by publish order: the writer is the stream's only
    /// publisher (which the chain requires). Only messages stored after the writer started are read: an older copy of a
    /// pending id is someone else's, and the messages before it in this run's order need not be stored at all.
    /// </remarks>
    private async Task<PendingMessage[]> SettleStoredAsync(PendingMessage[] pending, CancellationToken cancellationToken)
    {
        if (!_options.ChainPublishes || pending.Length == 0)
        {
            return pending;
        }

        var positions = new Dictionary<string, int>(pending.Length, StringComparer.Ordinal);
        for (var i = 0; i < pending.Length; i++)
        {
            positions.TryAdd(pending[i].Message.MessageId, i);
        }

        var before = pending[0].PreviousId;
        var found = await new JetStreamHistory(_jetStream, _streamOptions.Name)
            .FindNewestAsync(positions.ContainsKey, MaxStoredScan, id => id.Length > 0 && id == before, _storedBeforeStart, cancellationToken)
            .ConfigureAwait(false);
        if (found is null || !positions.TryGetValue(found.MessageId, out var newest))
        {
            return pending;
        }

        var settled = 0;
        for (var i = 0; i <= newest; i++)
        {
            var message = pending[i];
            _byToken.TryRemove(message.Token, out _);
            if (!message.TryFinish())
            {
                continue; // its PubAck came meanwhile
            }

            _window.Remove(message);
            settled++;
            try
            {
                // By publish order, not window position: a message acknowledged meanwhile left a hole in the window (one
                // sent on a new connection, chained to a stored one whose PubAck was lost), and it lies in the stream too.
                _ackHandler.OnAcked(message.Message, found.Sequence - (ulong)(pending[newest].Ordinal - message.Ordinal));
            }
            catch (Exception e)
            {
                SinkLog.AckHandlerFailed(_logger, message.Message.MessageId, e);
            }
        }

        Interlocked.Add(ref _settledFromStream, settled);
        SinkLog.SettledFromStream(_logger, newest + 1, pending.Length, found.MessageId, found.Sequence);
        return pending[(newest + 1)..];
    }

    /// <summary>
    /// Whether a failed read of what the stream holds is worth another try before republishing: always while NATS is not
    /// connected (a republish would only wait in the client's buffer and go out blind at the reconnect, however long the
    /// outage was); with a connected server that refuses the read (no responders, a 503), for at most
    /// <see cref="BatchWriterOptions.NoStreamRetryTime"/> of being connected; with one that answers nothing at all
    /// (timeouts), without limit, reported held after that time (<see cref="HoldWhileUnanswered"/>).
    /// <paramref name="firstFailure"/>: the first failed read since the last good one (the one worth a log line).
    /// </summary>
    /// <remarks>
    /// NATS.Net sends no request while disconnected: a read started then waits for the reconnect, and only a read in
    /// flight when the connection went fails during the outage. So the time starts at the first failure seen while
    /// connected, and never before the last reconnect: an outage, however long, does not count.
    /// </remarks>
    private bool ReadAgainLater(Exception e, out bool firstFailure)
    {
        var now = _time.GetTimestamp();
        firstFailure = Interlocked.CompareExchange(ref _firstUnreadable, now, 0) == 0;
        if (e is JetStreamException)
        {
            // An error reply: JetStream answers again (say, restarted with the stream not loaded), so it is not silent.
            _refusal.Answered();
        }

        if (e is JetStreamException { Code: not 503 })
        {
            return false;
        }

        if (_connection.ConnectionState != NatsConnectionState.Open)
        {
            Volatile.Write(ref _unansweredSince, 0);
            return true;
        }

        var since = Interlocked.CompareExchange(ref _unansweredSince, now, 0);
        since = Math.Max(since == 0 ? now : since, Volatile.Read(ref _connectedAt));
        return HoldWhileUnanswered(e, since, now) || _time.GetElapsedTime(since, now) <= _options.NoStreamRetryTime;
    }

    private void TriggerRecovery()
    {
        if (!_started || _stop.IsCancellationRequested || Interlocked.CompareExchange(ref _recovering, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await _publishLock.WaitAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    await RecoverIfNeededAsync(_stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    _publishLock.Release();
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Volatile.Write(ref _recovering, 0);
            }
        });
    }

    /// <summary>Republishes when PubAcks stop coming (a lost ack, a black-holed connection), and catches missed wake-ups.</summary>
    private async Task MonitorAsync()
    {
        var period = TimeSpan.FromTicks(Math.Min(_options.AckTimeout.Ticks / 4, TimeSpan.TicksPerSecond));
        using var timer = new PeriodicTimer(period, _time);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            if (_window.OldestAge() > _options.AckTimeout)
            {
                RequestResend($"no PubAck within {_options.AckTimeout}", delay: false);
            }
            else if (Volatile.Read(ref _resendRequested) == 1)
            {
                TriggerRecovery();
            }
        }
    }
}
