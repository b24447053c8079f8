using Cdc.Consumer.Events;
using Npgsql;

namespace Cdc.Consumer.Cursors;

/// <summary>
/// Asynchronous cursor writes (reflex's <c>WithCursorUpdatePeriod</c>): handled events only move an in-memory position, and
/// the newest one is written to <paramref name="inner"/> every <paramref name="period"/>, on <see cref="FlushAsync"/> and when
/// disposed. A crash replays what was handled since the last write, so the handler must be idempotent.
/// </summary>
public sealed class PeriodicCursorStore(ICursorStore inner, TimeSpan period, TimeProvider? timeProvider = null) : ICursorStore, IAsyncDisposable
{
    private readonly ICursorStore _inner = inner is JetStreamCursorStore
        ? throw new ArgumentException("JetStream acks every event itself: wrap a store that keeps a position, such as PostgresCursorStore", nameof(inner))
        : inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly TimeSpan _period = period > TimeSpan.Zero ? period : throw new ArgumentOutOfRangeException(nameof(period), period, "the period must be positive");
    private readonly TimeProvider _timeProvider = timeProvider ?? TimeProvider.System;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private CdcEvent? _pending;
    private string? _consumer;
    private ulong _written;
    private Task? _loop;

    /// <summary>The newest position written to the inner store.</summary>
    public ulong WrittenSequence => Volatile.Read(ref _written);

    public async ValueTask<ulong> LoadAsync(string consumer, CancellationToken cancellationToken = default)
    {
        var sequence = await _inner.LoadAsync(consumer, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _consumer = consumer;
            _written = Math.Max(_written, sequence);
            _loop ??= Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        }

        return sequence;
    }

    public ValueTask<ICursorUnit> BeginAsync(string consumer, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _consumer = consumer;
        }

        return ValueTask.FromResult<ICursorUnit>(new MemoryUnit(this));
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CdcEvent? pending;
            string? consumer;
            lock (_lock)
            {
                pending = _pending;
                consumer = _consumer;
            }

            if (pending is null || consumer is null || pending.StreamSequence <= _written)
            {
                return;
            }

            var unit = await _inner.BeginAsync(consumer, cancellationToken).ConfigureAwait(false);
            await using (unit.ConfigureAwait(false))
            {
                await unit.CommitAsync(pending, cancellationToken).ConfigureAwait(false);
            }

            Volatile.Write(ref _written, pending.StreamSequence);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await FlushAsync().ConfigureAwait(false);
        _stop.Dispose();
        _writeLock.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_period, _timeProvider);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or CdcConsumerException or TimeoutException)
            {
                // The next tick writes the then newest position; a failure here loses nothing but time.
            }
        }
    }

    private void Advance(CdcEvent handled)
    {
        lock (_lock)
        {
            if (_pending is null || handled.StreamSequence > _pending.StreamSequence)
            {
                _pending = handled;
            }
        }
    }

    private sealed class MemoryUnit(PeriodicCursorStore store) : ICursorUnit
    {
        public NpgsqlConnection? Connection => null;

        public NpgsqlTransaction? Transaction => null;

        public ValueTask CommitAsync(CdcEvent handled, CancellationToken cancellationToken = default)
        {
            store.Advance(handled);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
