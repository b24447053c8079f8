using System.Diagnostics;

namespace Cdc.Sink;

/// <summary>
/// The open batch: who adds to it, when it is full, and the timer that publishes one left open too long.
/// </summary>
public sealed partial class StreamingBatchWriter
{
    private async ValueTask WriteWhenFreeAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        await _batchLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfDisposedHoldingLock();
        OutboundMessage? next = message;
        if (_batch.Count == 0 || (_batch[0].Kind == message.Kind && _batch.Count - _batchDone < _options.MaxRows && _batchBytes < _options.MaxBytes))
        {
            Append(message);
            if (_batch.Count - _batchDone < _options.MaxRows && _batchBytes < _options.MaxBytes)
            {
                _batchLock.Release();
                return;
            }

            next = null; // in the batch, which is full now
        }

        await PublishThenReleaseAsync(next, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask FlushWhenFreeAsync(CancellationToken cancellationToken)
    {
        await _batchLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfDisposedHoldingLock();
        await PublishThenReleaseAsync(null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A writer that got the batch lock after <see cref="DisposeAsync"/> reported the batch adds nothing to it.</summary>
    private void ThrowIfDisposedHoldingLock()
    {
        if (_disposed)
        {
            _batchLock.Release();
            throw new ObjectDisposedException(nameof(StreamingBatchWriter));
        }
    }

    /// <summary>Adds to the open batch (holding the batch lock); its first message arms the batch timer.</summary>
    private void Append(OutboundMessage message)
    {
        if (_batch.Count == 0)
        {
            _batchStartedAt = Stopwatch.GetTimestamp();
            _batchBytes = 0;
            if (Interlocked.Exchange(ref _batchTimerArmed, 1) == 0)
            {
                ArmBatchTimer(_options.Timeout);
            }
        }

        _batch.Add(message);
        _batchBytes += message.Payload.Length;
    }

    /// <summary>
    /// Holding the batch lock: publishes the open batch, then starts the next with <paramref name="next"/> (a message
    /// of another kind, or the one that did not fit) if given, and lets go of the lock.
    /// </summary>
    private async ValueTask PublishThenReleaseAsync(OutboundMessage? next, CancellationToken cancellationToken)
    {
        try
        {
            if (_batch.Count > _batchDone)
            {
                await PublishOpenBatchAsync(cancellationToken).ConfigureAwait(false);
            }

            if (next is not null)
            {
                Append(next);
                if (_batch.Count >= _options.MaxRows || _batchBytes >= _options.MaxBytes)
                {
                    await PublishOpenBatchAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _batchLock.Release();
        }
    }

    /// <summary>Publishes the open batch, stopping at the caller's cancellation or at <see cref="DisposeAsync"/>.</summary>
    private async ValueTask PublishOpenBatchAsync(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            await PublishBatchAsync(_batch[0].Kind, _stop.Token).ConfigureAwait(false);
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        await PublishBatchAsync(_batch[0].Kind, linked.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// The batch timer: publishes a batch open for <see cref="BatchWriterOptions.Timeout"/>, or waits out the rest of a
    /// younger one. It is not stopped when a writer publishes the batch first: it fires once more and finds it empty.
    /// </summary>
    private void OnBatchTimer()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        if (!_batchLock.Wait(0, CancellationToken.None))
        {
            // A writer has the batch (and publishes it when full or flushed): look again a little later (not at once
            // with a zero timeout, which would spin while the writer waits for PubAck slots).
            ArmBatchTimer(_options.Timeout > RetryWhileBusy ? _options.Timeout : RetryWhileBusy);
            return;
        }

        var age = Stopwatch.GetElapsedTime(_batchStartedAt);
        if (_batch.Count == _batchDone)
        {
            Volatile.Write(ref _batchTimerArmed, 0);
            _batchLock.Release();
            return;
        }

        if (age < _options.Timeout)
        {
            ArmBatchTimer(_options.Timeout - age);
            _batchLock.Release();
            return;
        }

        Volatile.Write(ref _batchTimerArmed, 0);
        _timedPublish = PublishTimedOutAsync();
    }

    private void ArmBatchTimer(TimeSpan due)
    {
        try
        {
            _batchTimer?.Change(due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // DisposeAsync got there first (it may run beside the timer's own callback): nothing is left to time.
        }
    }

    private async Task PublishTimedOutAsync()
    {
        try
        {
            await PublishThenReleaseAsync(null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // No caller to throw to: the next WriteAsync or FlushAsync does.
            Volatile.Write(ref _failure, e);
            throw;
        }
    }
}
