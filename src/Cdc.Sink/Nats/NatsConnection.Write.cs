namespace Cdc.Sink.Nats;

/// <summary>
/// The write side. Every operation is written into the session's write pipe under one lock and flushed
/// to the write loop, which sends whatever has accumulated in one socket write: publishes are coalesced
/// without a syscall per message, and the pipe's pause threshold makes publishers wait (backpressure).
/// </summary>
public sealed partial class NatsConnection
{
    private const long MuxSid = 1;

    /// <summary>Publishes one message (PUB, or HPUB when there are headers).</summary>
    public ValueTask PublishAsync(
        string subject,
        ReadOnlyMemory<byte> payload,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null,
        string? replyTo = null,
        CancellationToken cancellationToken = default) =>
        PublishManyAsync(new[] { new NatsPublishItem(subject, payload, null, headers, replyTo) }, cancellationToken);

    /// <summary>
    /// Publishes messages in order with one lock and one flush. Sizes are checked against max_payload
    /// before anything is written (<see cref="MessageTooLargeException"/>).
    /// </summary>
    public ValueTask PublishManyAsync(ReadOnlyMemory<NatsPublishItem> items, CancellationToken cancellationToken = default) =>
        PublishManyAsync(items, null, cancellationToken);

    /// <summary>
    /// As <see cref="PublishManyAsync(ReadOnlyMemory{NatsPublishItem}, CancellationToken)"/>, but only on the session
    /// <paramref name="requiredSessionId"/>: when the connection has been lost or replaced since, throws
    /// <see cref="NatsConnectionException"/> instead of publishing on the new connection (a writer that must
    /// republish earlier messages first keeps its order this way).
    /// </summary>
    public async ValueTask PublishManyAsync(ReadOnlyMemory<NatsPublishItem> items, long? requiredSessionId, CancellationToken cancellationToken = default)
    {
        // The items checked their subjects and headers when they were made.
        var session = requiredSessionId is { } required
            ? await AcquireWriterOnAsync(required, cancellationToken).ConfigureAwait(false)
            : await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var max = session.Info.MaxPayload;
            foreach (var item in items.Span)
            {
                var size = item.Size;
                if (size > max)
                {
                    throw new MessageTooLargeException(item.Subject, size, max);
                }
            }

            foreach (ref readonly var item in items.Span)
            {
                ProtocolWriter.WritePublish(session.Output, in item);
            }

            await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Subscribes; the subscription is re-created on every reconnect until disposed.</summary>
    public async Task<NatsSubscription> SubscribeAsync(string subject, string? queue = null, CancellationToken cancellationToken = default)
    {
        ProtocolWriter.ValidateSubject(subject);
        if (queue is not null)
        {
            ProtocolWriter.ValidateSubject(queue, "queue");
        }

        var sub = new NatsSubscription(this, Interlocked.Increment(ref _nextSid), subject, queue, _options.SubscriptionCapacity);
        lock (_subscriptions)
        {
            _subscriptions.Add(sub.Sid, sub);
        }

        var session = await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ProtocolWriter.WriteSub(session.Output, subject, queue, sub.Sid);
            await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }

        return sub;
    }

    internal async ValueTask UnsubscribeAsync(NatsSubscription subscription, CancellationToken cancellationToken)
    {
        bool removed;
        lock (_subscriptions)
        {
            removed = _subscriptions.Remove(subscription.Sid);
        }

        subscription.Complete();
        if (!removed || _session is not { IsOpen: true })
        {
            return;
        }

        var session = await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ProtocolWriter.WriteUnsub(session.Output, subscription.Sid, null);
            await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends a request through the muxed inbox and returns the reply. A 503 status (nobody subscribes
    /// to <paramref name="subject"/>) throws <see cref="NatsNoRespondersException"/>; no reply in
    /// time throws <see cref="NatsTimeoutException"/>.
    /// </summary>
    public Task<NatsMsg> RequestAsync(
        string subject,
        ReadOnlyMemory<byte> payload,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        RequestAsync(subject, payload, null, headers, NatsMsg.From, timeout, cancellationToken);

    /// <summary>
    /// The one request/reply flow: registers a <see cref="ReplyWaiter{T}"/> in the mux, publishes with its
    /// token, and waits for the reply converted by <paramref name="read"/> (on the read loop).
    /// </summary>
    internal async Task<T> RequestAsync<T>(
        string subject,
        ReadOnlyMemory<byte> payload,
        string? messageId,
        IReadOnlyList<KeyValuePair<string, string>>? headers,
        Func<ProtocolParser, T> read,
        TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        var item = new NatsPublishItem(subject, payload, messageId, headers, _mux.Prefix);
        var waiter = new ReplyWaiter<T>(subject, read);
        var token = _mux.Register(waiter);
        try
        {
            await PublishManyAsync(new[] { item with { ReplyToken = token } }, cancellationToken).ConfigureAwait(false);
            var wait = timeout ?? _options.RequestTimeout;
            try
            {
                return await waiter.Task.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new NatsTimeoutException($"no reply to '{subject}' within {wait}");
            }
        }
        finally
        {
            _mux.Remove(token);
        }
    }

    /// <summary>A PING/PONG round trip: everything written before it has been processed by the server.</summary>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var session = await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            session.ExpectPong(pong);
            ProtocolWriter.WritePing(session.Output);
            await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }

        await pong.Task.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends SUB for the muxed inbox and every live subscription on a new session.</summary>
    private async Task ResubscribeAsync(NatsSession session, CancellationToken cancellationToken)
    {
        NatsSubscription[] subs;
        lock (_subscriptions)
        {
            subs = [.. _subscriptions.Values];
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ProtocolWriter.WriteSub(session.Output, _mux.Wildcard, null, MuxSid);
            foreach (var sub in subs)
            {
                ProtocolWriter.WriteSub(session.Output, sub.Subject, sub.Queue, sub.Sid);
            }

            await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async ValueTask<NatsSession> AcquireWriterOnAsync(long sessionId, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var session = _session;
        if (session is { IsOpen: true } && SessionId == sessionId && _state == NatsConnectionState.Connected)
        {
            return session;
        }

        _writeLock.Release();
        throw new NatsConnectionException("the connection was lost or replaced since the previous publish");
    }

    /// <summary>Waits for a live session and takes the write lock (the caller releases it).</summary>
    private async ValueTask<NatsSession> AcquireWriterAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            var session = _session;
            if (session is null || !session.IsOpen || _state != NatsConnectionState.Connected)
            {
                if (_supervisor is null)
                {
                    throw new NatsConnectionException("not connected: call ConnectAsync first");
                }

                await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
                if (session is not null && ReferenceEquals(session, _session) && !session.IsOpen)
                {
                    // Ended a moment ago and the reconnect has not started yet.
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (ReferenceEquals(session, _session) && session.IsOpen)
            {
                return session;
            }

            _writeLock.Release();
            if (!ReferenceEquals(session, _session))
            {
                continue;
            }

            // Same session but it ended: wait for the reconnect to begin.
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }
}
