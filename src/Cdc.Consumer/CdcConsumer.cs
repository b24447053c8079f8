using System.Runtime.CompilerServices;
using Cdc.Consumer.Cursors;
using Cdc.Consumer.Errors;
using Cdc.Consumer.Events;
using Cdc.Consumer.Gaps;
using Cdc.Consumer.Reading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Npgsql;

namespace Cdc.Consumer;

/// <summary>
/// Reads Cdc's JetStream stream as typed events. <see cref="ReadAsync"/> enumerates from a stream sequence;
/// <see cref="RunAsync"/> drives a handler with the configured cursor store, retries, error records and gap reports.
/// </summary>
public sealed class CdcConsumer : IAsyncDisposable
{
    private readonly CdcConsumerOptions _options;
    private readonly INatsConnection _connection;
    private readonly bool _ownsConnection;
    private readonly NatsJSContext _js;
    private readonly ILogger _logger;
    private readonly CdcConsumerMetrics _metrics;
    private readonly SubjectFilter _filter;
    private readonly CancellationTokenSource _disposing = new();
    private int _running;

    /// <summary>Connects with <see cref="CdcConsumerOptions.Nats"/>; the connection is closed with the consumer.</summary>
    public CdcConsumer(CdcConsumerOptions options)
        : this(options, new NatsConnection((options ?? throw new ArgumentNullException(nameof(options))).Nats), ownsConnection: true)
    {
    }

    /// <summary>Reads through an existing connection, which stays the caller's.</summary>
    public CdcConsumer(CdcConsumerOptions options, INatsConnection connection)
        : this(options, connection, ownsConnection: false)
    {
    }

    private CdcConsumer(CdcConsumerOptions options, INatsConnection connection, bool ownsConnection)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connection);
        options.Validate();
        _options = options;
        _connection = connection;
        _ownsConnection = ownsConnection;
        _js = new NatsJSContext(connection);
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CdcConsumer>();
        _metrics = new CdcConsumerMetrics(options.ConsumerName);
        _filter = new SubjectFilter(options.FilterSubjects);
    }

    /// <summary>The consumer's name.</summary>
    public string Name => _options.ConsumerName;

    /// <summary>
    /// The events after stream sequence <paramref name="afterSequence"/> (0: from the stream's start), in stream order,
    /// through an ordered consumer. Gaps are reported as with <see cref="RunAsync"/>; no cursor is written: keep
    /// <see cref="CdcEvent.StreamSequence"/> yourself and pass it back to resume.
    /// </summary>
    public async IAsyncEnumerable<CdcEvent> ReadAsync(ulong afterSequence = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        var ct = linked.Token;
        var gaps = NewGapTracker();
        await gaps.StartAsync(afterSequence, ct).ConfigureAwait(false);
        ConsumerLog.Started(_logger, Name, _options.Stream, afterSequence, "ordered consumer");
        await foreach (var message in OrderedSource.ReadAsync(_js, _options, afterSequence, ct).ConfigureAwait(false))
        {
            if (await AcceptAsync(message, gaps, ct).ConfigureAwait(false) is { } evt)
            {
                yield return evt;
            }
        }
    }

    /// <summary>
    /// Handles events with <paramref name="handler"/> until <paramref name="cancellationToken"/> is cancelled (then it
    /// throws <see cref="OperationCanceledException"/>), an event fails under <see cref="ErrorPolicy.Stop"/> (then
    /// <see cref="CdcHandlerFailedException"/>) or the consumer is disposed (then <see cref="CdcConsumerException"/>). Starts after the cursor of <see cref="CdcConsumerOptions.CursorStore"/>
    /// and moves it past every event handled or skipped.
    /// </summary>
    public async Task RunAsync(CdcHandler handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException($"consumer '{Name}' is already running: one RunAsync per CdcConsumer");
        }

        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
            await RunCoreAsync(handler, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (_disposing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new CdcConsumerException($"consumer '{Name}' stopped: it was disposed", e);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task RunCoreAsync(CdcHandler handler, CancellationToken cancellationToken)
    {
        var store = _options.CursorStore;
        var gaps = NewGapTracker();
        IAsyncEnumerable<INatsJSMsg<byte[]>> source;
        ulong cursor;
        if (store is JetStreamCursorStore jetStreamStore)
        {
            var durable = await DurableSource.OpenAsync(_js, _options, jetStreamStore, cancellationToken).ConfigureAwait(false);
            cursor = durable.AckFloor;
            source = durable.ReadAsync(cancellationToken);
        }
        else
        {
            cursor = await store.LoadAsync(Name, cancellationToken).ConfigureAwait(false);
            source = OrderedSource.ReadAsync(_js, _options, cursor, cancellationToken);
        }

        await gaps.StartAsync(cursor, cancellationToken).ConfigureAwait(false);
        ConsumerLog.Started(_logger, Name, _options.Stream, cursor, store.GetType().Name);
        try
        {
            await foreach (var message in source.ConfigureAwait(false))
            {
                // NATS.Net may still hand out buffered messages once cancelled: no handler starts after a stop.
                cancellationToken.ThrowIfCancellationRequested();
                if (await AcceptAsync(message, gaps, cancellationToken).ConfigureAwait(false) is not { } evt)
                {
                    if (store is JetStreamCursorStore)
                    {
                        // Outside the filters (a server that ignores several filter subjects): a durable consumer still
                        // needs the ack, or it would hold back everything behind it.
                        await message.AckAsync(new AckOpts { DoubleAck = true }, cancellationToken).ConfigureAwait(false);
                    }

                    continue;
                }

                try
                {
                    await HandleAsync(store, handler, evt, cancellationToken).ConfigureAwait(false);
                }
                catch when (store is JetStreamCursorStore)
                {
                    // Stopped or cancelled with the event in hand: let a restart have it now rather than after the ack wait.
                    await NakQuietlyAsync(message).ConfigureAwait(false);
                    throw;
                }
            }

            // The JetStream consumer only ends on its own when the connection is closed.
            cancellationToken.ThrowIfCancellationRequested();
            throw new CdcConsumerException($"consumer '{Name}' stopped reading: the NATS connection was closed");
        }
        finally
        {
            await FlushQuietlyAsync(store).ConfigureAwait(false);
        }
    }

    /// <summary>Stops <see cref="RunAsync"/> and <see cref="ReadAsync"/> (an event in hand is not committed), then closes an owned connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Decodes a message after the gap check; null when it is outside the subject filters.</summary>
    private async ValueTask<CdcEvent?> AcceptAsync(INatsJSMsg<byte[]> message, GapTracker gaps, CancellationToken cancellationToken)
    {
        var evt = CdcEventDecoder.Decode(message);
        await gaps.ObserveAsync(evt.StreamSequence, cancellationToken).ConfigureAwait(false);
        if (evt is CdcSourceGap)
        {
            _metrics.SourceGap();
        }

        return _filter.Matches(evt.Subject) ? evt : null;
    }

    private async Task HandleAsync(ICursorStore store, CdcHandler handler, CdcEvent evt, CancellationToken cancellationToken)
    {
        if (evt is CdcUndecodableEvent undecodable)
        {
            await GiveUpAsync(store, evt, undecodable.Error, attempts: 0, cancellationToken).ConfigureAwait(false);
            return;
        }

        var retry = _options.Retry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var unit = await store.BeginAsync(Name, cancellationToken).ConfigureAwait(false);
                await using (unit.ConfigureAwait(false))
                {
                    await handler(evt, new CdcHandlerContext(Name, attempt, unit.Connection, unit.Transaction), cancellationToken).ConfigureAwait(false);
                    await unit.CommitAsync(evt, cancellationToken).ConfigureAwait(false);
                }

                _metrics.Handled();
                return;
            }
            catch (Exception e) when (IsHandlerFailure(e, cancellationToken))
            {
                _metrics.Failure();
                if (attempt >= retry.MaxAttempts)
                {
                    await GiveUpAsync(store, evt, e, attempt, cancellationToken).ConfigureAwait(false);
                    return;
                }

                var delay = retry.BackoffAfter(attempt);
                ConsumerLog.Retrying(_logger, Name, evt.StreamSequence, attempt, delay, e);
                await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Records the failure, then moves the cursor past the event (skip) or stops.</summary>
    private async Task GiveUpAsync(ICursorStore store, CdcEvent evt, Exception error, int attempts, CancellationToken cancellationToken)
    {
        var status = _options.ErrorPolicy == ErrorPolicy.Skip ? ConsumerErrorStatus.Skipped : ConsumerErrorStatus.Stopped;
        var statusName = status == ConsumerErrorStatus.Skipped ? "skipped" : "stopped";
        ConsumerLog.GaveUp(_logger, Name, evt.StreamSequence, evt.Subject, attempts, statusName, error);
        if (_options.ErrorSink is { } sink)
        {
            var record = new ConsumerError(Name, evt.StreamSequence, evt.MessageId, evt.Subject,
                error.GetType().Name + ": " + error.Message, status, attempts, _options.TimeProvider.GetUtcNow());
            await sink.RecordAsync(record, cancellationToken).ConfigureAwait(false);
        }

        _metrics.Recorded(statusName);
        if (status == ConsumerErrorStatus.Stopped)
        {
            throw new CdcHandlerFailedException(
                $"consumer '{Name}' stopped: the handler failed {attempts} times on stream sequence {evt.StreamSequence} ({evt.Subject})",
                evt.StreamSequence, error);
        }

        var unit = await store.BeginAsync(Name, cancellationToken).ConfigureAwait(false);
        await using (unit.ConfigureAwait(false))
        {
            await unit.CommitAsync(evt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A handler's exception, not the consumer being stopped or displaced.</summary>
    private static bool IsHandlerFailure(Exception e, CancellationToken cancellationToken)
        => !(e is OperationCanceledException && cancellationToken.IsCancellationRequested) && e is not CdcCursorConflictException;

    private GapTracker NewGapTracker() => new(Name, !_filter.IsEmpty, StreamBoundsAsync, ReportGapAsync);

    private async ValueTask<StreamBounds> StreamBoundsAsync(CancellationToken cancellationToken)
    {
        var stream = await _js.GetStreamAsync(_options.Stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new StreamBounds(stream.Info.State.FirstSeq, stream.Info.State.LastSeq);
    }

    private async ValueTask ReportGapAsync(CdcGap gap, CancellationToken cancellationToken)
    {
        _metrics.Gap(gap.Count);
        ConsumerLog.Gap(_logger, gap.Consumer, gap.FirstMissing, gap.LastMissing, gap.Count);
        if (_options.OnGap is { } onGap)
        {
            await onGap(gap, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes a held-back cursor on the way out; a failure is logged and must not hide why the run ended.</summary>
    private async ValueTask FlushQuietlyAsync(ICursorStore store)
    {
        try
        {
            await store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or CdcConsumerException or TimeoutException or NatsException)
        {
            ConsumerLog.FlushFailed(_logger, Name, e);
        }
    }

    private static async ValueTask NakQuietlyAsync(INatsJSMsg<byte[]> message)
    {
        try
        {
            // Double ack: the server has the nak before the connection can be closed behind it.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await message.NakAsync(new AckOpts { DoubleAck = true }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is gone: the server redelivers after the ack wait.
        }
    }
}
