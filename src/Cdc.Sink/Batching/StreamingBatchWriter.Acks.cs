using Cdc.Sink.JetStream;

namespace Cdc.Sink;

/// <summary>
/// The PubAck side: each reply routed by its token settles its message once (stored, refused for a while, or failed).
/// </summary>
public sealed partial class StreamingBatchWriter
{
    void IPubAckReceiver.OnPubAck(long token, PubAck ack)
    {
        if (!_byToken.TryRemove(token, out var pending))
        {
            return; // the reply to an earlier publish of a message republished since (or already reported)
        }

        if (ack.Error is { } error)
        {
            if (StorageFull.Describe(error, _streamOptions.Name) is { } full)
            {
                // Not this message's fault: hold it (and every later one) until JetStream has room again.
                _refusal.Refused(full, pending.Message);
                RequestResend(full, delay: true);
            }
            else if (error.Code == 503)
            {
                RequestResend($"JetStream unavailable: {error.Description}", delay: true);
            }
            else if (error.ErrCode == 10070)
            {
                RequestResend($"{pending.Message.MessageId} was refused because a message before it is not stored", delay: false);
            }
            else
            {
                Fail(pending, new JetStreamException(error, pending.Message.Subject));
            }

            return;
        }

        if (Volatile.Read(ref _firstNoStream) != 0)
        {
            Interlocked.Exchange(ref _firstNoStream, 0);
        }

        if (ack.Duplicate)
        {
            Interlocked.Increment(ref _jetStreamDuplicates);
        }

        if (pending.TryFinish())
        {
            _window.Remove(pending);
            // A duplicate PubAck stores nothing (a full stream still answers one for a message it holds already), so it
            // ends a refusal only when nothing is left to deliver.
            if (_refusal.Current is not null && (!ack.Duplicate || _window.Count == 0))
            {
                _refusal.Stored(pending.Message, _window.Count == 0);
            }

            try
            {
                _ackHandler.OnAcked(pending.Message, ack.Sequence);
            }
            catch (Exception e)
            {
                SinkLog.AckHandlerFailed(_logger, pending.Message.MessageId, e);
            }
        }
    }

    void IPubAckReceiver.OnNoResponders(long token)
    {
        if (!_byToken.TryRemove(token, out var pending))
        {
            return;
        }

        var now = _time.GetTimestamp();
        var first = Interlocked.CompareExchange(ref _firstNoStream, now, 0);
        if (first != 0 && _time.GetElapsedTime(first, now) > _options.NoStreamRetryTime)
        {
            Fail(pending, new JetStreamNoStreamException(pending.Message.Subject));
            return;
        }

        RequestResend($"no stream answered for '{pending.Message.Subject}' (503)", delay: true);
    }

    private void Fail(PendingMessage pending, Exception error)
    {
        if (!pending.TryFinish())
        {
            return;
        }

        _window.Remove(pending);
        SinkLog.PublishFailed(_logger, pending.Message.MessageId, pending.Message.Subject, error.Message);
        ReportFailed(pending.Message, error);
    }

    private void ReportFailed(OutboundMessage message, Exception error)
    {
        try
        {
            _ackHandler.OnFailed(message, error);
        }
        catch (Exception e)
        {
            SinkLog.AckHandlerFailed(_logger, message.MessageId, e);
        }
    }

    /// <summary>After the writer stopped: fails the window and the unsent rest of the batch, in write order.</summary>
    private void ReportUnacknowledged()
    {
        var count = 0;
        foreach (var pending in _window.Snapshot())
        {
            if (pending.TryFinish())
            {
                _window.Remove(pending);
                ReportFailed(pending.Message, new SinkStoppedException(pending.Message.MessageId));
                count++;
            }
        }

        for (var i = _batchDone; i < _batch.Count; i++)
        {
            ReportFailed(_batch[i], new SinkStoppedException(_batch[i].MessageId));
            count++;
        }

        _batch.Clear();
        _batchDone = 0;
        if (count > 0)
        {
            SinkLog.StoppedUnacknowledged(_logger, count);
        }
    }
}
