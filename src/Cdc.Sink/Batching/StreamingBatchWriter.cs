using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Cdc.Sink;

/// <summary>
/// Publishes <see cref="OutboundMessage"/>s to JetStream in blocks (the CloudQuery streaming batch writer idea), over
/// NATS.Net's connection.
/// <list type="bullet">
/// <item>Messages are processed in blocks of one <see cref="MessageKind"/>; a batch ends on
/// <see cref="BatchWriterOptions.MaxRows"/>, <see cref="BatchWriterOptions.MaxBytes"/>,
/// <see cref="BatchWriterOptions.Timeout"/>, <see cref="FlushAsync"/> or a message of another kind. Before a
/// block of another kind starts, every message of the previous block is acknowledged (a schema change is
/// stored before the rows that use it).</item>
/// <item>Publishes are pipelined: core NATS publishes with a reply subject <c>&lt;prefix&gt;.&lt;token&gt;</c>, and one
/// wildcard subscription (<see cref="AckSubscription"/>) routes each PubAck to its message by token. Up to
/// <see cref="BatchWriterOptions.MaxPendingAcks"/> wait for their PubAck; at the bound <see cref="WriteAsync"/> waits.</item>
/// <item>Order across reconnects: NATS.Net keeps the publishes it has not yet written to a socket and sends them on
/// the next connection, while those written to a dead socket are lost, so a later message could be stored before an
/// earlier one. Every publish therefore carries <c>Nats-Expected-Last-Msg-Id</c> = the id of the message published
/// before it (<see cref="BatchWriterOptions.ChainPublishes"/>): JetStream stores a message only right after its
/// predecessor, so what is stored is always a prefix of the publish order. A message refused for a wrong last id
/// (10070), a 503, a missing PubAck or a reconnect makes the writer republish every unacknowledged message in order
/// (the first without the header). Before it does, it reads back from the stream's end which of them are stored
/// already (their PubAck lost) and acknowledges those from the stream, so an outage longer than JetStream's duplicate
/// window does not store them twice; the duplicate window only covers what that read cannot see (and a stream that
/// refuses the read).</item>
/// <item>Each message is reported exactly once: <see cref="IAckHandler.OnAcked"/> with the stream sequence
/// (a duplicate counts as stored), or <see cref="IAckHandler.OnFailed"/> for a permanent error only.</item>
/// <item>A message over the server's max_payload follows <see cref="BatchWriterOptions.OversizePolicy"/>; a
/// message NATS cannot carry (bad subject, message id or header) fails alone with an
/// <see cref="InvalidMessageException"/>, and the writer goes on.</item>
/// <item><see cref="DisposeAsync"/> reports every message not yet acknowledged with a
/// <see cref="SinkStoppedException"/>.</item>
/// </list>
/// </summary>
public sealed partial class StreamingBatchWriter : IMessageSink, ISinkHealth, IPubAckReceiver, IStreamHistory
{
    private readonly NatsConnection _connection;
    private readonly ConnectionHealth _health;
    private readonly bool _ownsConnection;
    private readonly NatsJSContext _jetStream;
    private readonly JetStreamStreamOptions _streamOptions;
    private readonly BatchWriterOptions _options;
    private readonly IAckHandler _ackHandler;
    private readonly ILogger _logger;
    private readonly InflightWindow _window;
    private readonly TokenTable _byToken;
    private readonly PublishRefusal _refusal;
    private readonly TimeProvider _time;

    private readonly PublishHeaders _headers = new();
    private readonly HeaderBlockSize _headerBlockSize = new();
    private readonly SemaphoreSlim _publishLock = new(1, 1);

    /// <summary>
    /// Held by whoever adds to or publishes the open batch: a writer (<see cref="WriteAsync"/>, <see cref="FlushAsync"/>)
    /// or the batch timer. Batches are published on the writer's own thread: no queue and no thread hop per batch.
    /// </summary>
    private readonly SemaphoreSlim _batchLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<OutboundMessage> _batch = [];
    private readonly string _replyPrefix = "_CDC_ACK." + Guid.NewGuid().ToString("N")[..12];
    private int _batchDone;
    private long _batchBytes;
    private long _batchStartedAt;
    private AckSubscription? _acks;
    private bool _started;
    private Exception? _failure;
    private Task? _monitor;

    private static readonly TimeSpan RetryWhileBusy = TimeSpan.FromMilliseconds(1);

    /// <summary>How far back from the stream's end a republish looks for what it holds of the unacknowledged messages.</summary>
    public const int MaxStoredScan = 1000;

    private long _settledFromStream;

    /// <summary>Timestamp (the writer's TimeProvider) of the first failed read of the stream before a republish, since the last that worked; 0: none.</summary>
    private long _firstUnreadable;

    /// <summary>Ends a batch left open longer than <see cref="BatchWriterOptions.Timeout"/>; armed by the batch's first message.</summary>
    private Timer? _batchTimer;
    private int _batchTimerArmed;
    private Task _timedPublish = Task.CompletedTask;
    private MessageKind? _lastKind;
    private long _nextToken;
    private string? _chainTail;

    /// <summary>Wire bytes of the <c>Nats-Expected-Last-Msg-Id</c> line for <see cref="_chainTail"/>.</summary>
    private int _chainTailLength;

    /// <summary>The subject that passed <see cref="WireFormat.ValidateSubject"/> last: a table's messages share one.</summary>
    private string? _validSubject;

    private int _resendRequested;
    private int _resendDelay;
    private string _resendReason = string.Empty;
    private int _recovering;
    private long _firstNoStream;
    private bool _disposed;

    /// <summary>
    /// Creates a writer with its own NATS.Net connection (connected and the stream ensured by <see cref="StartAsync"/>,
    /// closed by <see cref="DisposeAsync"/>).
    /// </summary>
    /// <param name="nats">Servers, auth and TLS.</param>
    /// <param name="stream">The destination stream; created, updated or validated by <see cref="StartAsync"/>.</param>
    /// <param name="options">Batching, backpressure, retry and oversize policy.</param>
    /// <param name="ackHandler">Gets every message's outcome exactly once, from the sink's threads.</param>
    /// <param name="loggerFactory">Optional logging.</param>
    /// <param name="timeProvider">The clock of the PubAck timeout (<see cref="BatchWriterOptions.AckTimeout"/>); the system's by default.</param>
    public StreamingBatchWriter(NatsOptions nats, JetStreamStreamOptions stream, BatchWriterOptions options, IAckHandler ackHandler, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        : this(NatsOptsFactory.Connect(nats, loggerFactory), true, stream, options, ackHandler, loggerFactory, timeProvider)
    {
    }

    /// <summary>
    /// Creates a writer over a shared connection (connected by <see cref="StartAsync"/> if it is not yet; not disposed
    /// by the writer). The writer must be the only publisher to its stream (its publishes are chained).
    /// </summary>
    public StreamingBatchWriter(NatsConnection connection, JetStreamStreamOptions stream, BatchWriterOptions options, IAckHandler ackHandler, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        : this(connection, false, stream, options, ackHandler, loggerFactory, timeProvider)
    {
    }

    private StreamingBatchWriter(NatsConnection connection, bool ownsConnection, JetStreamStreamOptions stream, BatchWriterOptions options, IAckHandler ackHandler, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ackHandler);
        stream.Validate();
        options.Validate();
        _connection = connection;
        _time = timeProvider ?? TimeProvider.System;
        _health = new ConnectionHealth(connection, _time);
        _ownsConnection = ownsConnection;
        _streamOptions = stream;
        _options = options;
        _ackHandler = ackHandler;
        _logger = loggerFactory?.CreateLogger<StreamingBatchWriter>() ?? (ILogger)NullLogger.Instance;
        _refusal = new PublishRefusal(_logger);
        _jetStream = new NatsJSContext(connection);
        _window = new InflightWindow(options.MaxPendingAcks, _time);
        _byToken = new TokenTable(options.MaxPendingAcks);
    }

    /// <summary>NATS.Net's JetStream context on the writer's connection (stream info, consumers).</summary>
    public INatsJSContext JetStream => _jetStream;

    public NatsConnection Connection => _connection;

    public Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, CancellationToken cancellationToken = default)
        => new JetStreamHistory(_jetStream, _streamOptions.Name).FindNewestAsync(idMatches, maxScan, cancellationToken);

    public Task<IReadOnlyList<StoredMessage>> LastPerSubjectAsync(string subjectFilter, CancellationToken cancellationToken = default)
        => new JetStreamHistory(_jetStream, _streamOptions.Name).LastPerSubjectAsync(subjectFilter, cancellationToken);

    /// <summary>Unacknowledged messages found in the stream before a republish and acknowledged from it (their PubAck was lost).</summary>
    public long SettledFromStream => Interlocked.Read(ref _settledFromStream);

    /// <summary>Messages published and waiting for their PubAck.</summary>
    public int PendingAcks => _window.Count;

    public bool IsConnected => _health.IsConnected;

    public DateTimeOffset? DisconnectedSince => _health.DisconnectedSince;

    public string? LastConnectionError => _health.LastConnectionError;

    public string? PublishRefusal => _refusal.Current;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started)
        {
            throw new InvalidOperationException("already started");
        }

        try
        {
            await _connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NatsException e)
        {
            throw new SinkConnectionException($"cannot connect to NATS: {e.Message}", e);
        }

        await StreamSetup.EnsureStreamAsync(_jetStream, _streamOptions, _logger, cancellationToken).ConfigureAwait(false);
        _acks = new AckSubscription(_connection, _replyPrefix, this);
        await _connection.AddSubAsync(_acks, cancellationToken).ConfigureAwait(false);
        _connection.ConnectionOpened += OnConnectionOpened;
        _connection.ServerError += OnServerError;
        _batchTimer = new Timer(static state => ((StreamingBatchWriter)state!).OnBatchTimer(), this, Timeout.Infinite, Timeout.Infinite);
        _monitor = Task.Run(MonitorAsync, CancellationToken.None);
        _started = true;
    }

    /// <summary>
    /// Adds the message to the open batch; publishes the batch (on this thread) when it is full or the message is of
    /// another kind. Waits while the PubAck window is full.
    /// </summary>
    public ValueTask WriteAsync(OutboundMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        EnsureRunning();
        if (!_batchLock.Wait(0, CancellationToken.None))
        {
            return WriteWhenFreeAsync(message, cancellationToken);
        }

        ThrowIfDisposedHoldingLock();
        if (_batch.Count == 0 || (_batch[0].Kind == message.Kind && _batch.Count - _batchDone < _options.MaxRows && _batchBytes < _options.MaxBytes))
        {
            Append(message);
            if (_batch.Count - _batchDone < _options.MaxRows && _batchBytes < _options.MaxBytes)
            {
                _batchLock.Release();
                return ValueTask.CompletedTask;
            }

            return PublishThenReleaseAsync(null, cancellationToken);
        }

        return PublishThenReleaseAsync(message, cancellationToken);
    }

    /// <summary>Ends the open batch now; completes when everything written before has been published (not acknowledged).</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        EnsureRunning();
        if (!_batchLock.Wait(0, CancellationToken.None))
        {
            return FlushWhenFreeAsync(cancellationToken);
        }

        ThrowIfDisposedHoldingLock();
        if (_batch.Count == 0)
        {
            _batchLock.Release();
            return ValueTask.CompletedTask;
        }

        return PublishThenReleaseAsync(null, cancellationToken);
    }

    /// <summary>Flushes and waits until every message written so far has been reported.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await _window.WaitEmptyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops at once: every message written and not yet acknowledged is reported to
    /// <see cref="IAckHandler.OnFailed"/> with a <see cref="SinkStoppedException"/> (transient: it may or may
    /// not be stored; the producer replays it). Call <see cref="DrainAsync"/> first to stop without any.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        _connection.ConnectionOpened -= OnConnectionOpened;
        _connection.ServerError -= OnServerError;
        _health.Dispose();
        if (_batchTimer is not null)
        {
            await _batchTimer.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var task in new[] { _monitor, _timedPublish })
        {
            if (task is not null)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException || task == _timedPublish)
                {
                    // A timed publish that failed was recorded (EnsureRunning); what it left is reported below.
                }
            }
        }

        // A writer still publishing stops at _stop; once it has let go of the batch, report what is left.
        await _batchLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        ReportUnacknowledged();
        _batchLock.Release();
        if (_ownsConnection)
        {
            // Closing the connection ends the PubAck subscription with it.
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        else if (_acks is not null)
        {
            try
            {
                await _acks.DisposeAsync().ConfigureAwait(false);
            }
            catch (NatsException)
            {
                // The shared connection is gone: nothing to unsubscribe from.
            }
        }
    }

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

    private void EnsureRunning()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_started)
        {
            throw new InvalidOperationException("call StartAsync first");
        }

        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new SinkException("the batch writer stopped", failure);
        }
    }

    private ValueTask OnConnectionOpened(object? sender, NatsEventArgs e)
    {
        // Publishes written to the lost socket got no PubAck and never will: republish the window now
        // instead of waiting for the ack timeout.
        if (_window.Count > 0)
        {
            RequestResend("reconnected", delay: false);
        }

        return ValueTask.CompletedTask;
    }

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

    private async Task PublishBatchAsync(MessageKind kind, CancellationToken cancellationToken)
    {
        if (_lastKind is { } last && last != kind)
        {
            // A block of another kind starts only when the previous block is stored.
            await _window.WaitEmptyAsync(cancellationToken).ConfigureAwait(false);
        }

        _lastKind = kind;
        await _publishLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var locked = true;
        try
        {
            await RecoverIfNeededAsync(cancellationToken).ConfigureAwait(false);
            while (_batchDone < _batch.Count)
            {
                while (!_window.HasRoom)
                {
                    // Window full: let acks (or a recovery) happen while waiting.
                    _publishLock.Release();
                    locked = false;
                    await _window.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                    await _publishLock.WaitAsync(cancellationToken).ConfigureAwait(false);
                    locked = true;
                    await RecoverIfNeededAsync(cancellationToken).ConfigureAwait(false);
                }

                // From here the message is in the window or reported (what is left of the batch when the
                // loop stops is reported by DisposeAsync). Only this loop adds to the window: the room stays.
                var pending = Prepare(_batch[_batchDone++]);
                if (pending is null)
                {
                    continue;
                }

                _window.Add(pending);
                await PublishAsync(pending, first: false, cancellationToken).ConfigureAwait(false);
            }

            _batch.Clear();
            _batchDone = 0;
        }
        finally
        {
            if (locked)
            {
                _publishLock.Release();
            }
        }
    }

    /// <summary>
    /// Checks and sizes the message; applies the oversize policy. Null when the message was failed:
    /// too large, or not publishable at all (subject, message id or headers NATS cannot carry).
    /// </summary>
    private PendingMessage? Prepare(OutboundMessage message)
    {
        int headerLength;
        try
        {
            if (!ReferenceEquals(message.Subject, _validSubject))
            {
                WireFormat.ValidateSubject(message.Subject);
                _validSubject = message.Subject;
            }

            headerLength = _headerBlockSize.Of(message.MessageId, message.Headers);
        }
        catch (ArgumentException e)
        {
            var error = new InvalidMessageException(message.MessageId, message.Subject, e);
            SinkLog.PublishFailed(_logger, message.MessageId, message.Subject, error.Message);
            ReportFailed(message, error);
            return null;
        }

        var max = MaxPayload;
        var size = headerLength + message.Payload.Length;
        if (size + ChainHeaderLength() <= max)
        {
            return new PendingMessage(message, message.Payload, message.Headers, size);
        }

        SinkLog.MessageTooLarge(_logger, message.MessageId, message.Subject, size, max, _options.OversizePolicy.ToString());
        if (_options.OversizePolicy == OversizePolicy.PublishReference)
        {
            var headers = new List<KeyValuePair<string, string>>(message.Headers ?? [])
            {
                new("Cdc-Payload-Omitted", "max_payload"),
                new("Cdc-Payload-Size", message.Payload.Length.ToString(CultureInfo.InvariantCulture)),
                new("Cdc-Max-Payload", max.ToString(CultureInfo.InvariantCulture)),
            };
            headers.AddRange(DescribeOmitted(message));
            var referenceSize = WireFormat.HeaderBlockLength(message.MessageId, headers);
            if (referenceSize + ChainHeaderLength() <= max)
            {
                return new PendingMessage(message, ReadOnlyMemory<byte>.Empty, headers, referenceSize);
            }
        }

        ReportFailed(message, new MessageTooLargeException(message.Subject, size, max));
        return null;
    }

    private IReadOnlyList<KeyValuePair<string, string>> DescribeOmitted(OutboundMessage message)
    {
        try
        {
            return _options.DescribeOmitted?.Invoke(message) ?? [];
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The reference still goes out with the standard headers: the describer only adds detail.
            SinkLog.PublishFailed(_logger, message.MessageId, message.Subject, "describing the omitted payload failed: " + e.Message);
            return [];
        }
    }

    private long MaxPayload => _connection.ServerInfo?.MaxPayload is > 0 and var max ? max : 1024 * 1024;

    private int ChainHeaderLength() => _options.ChainPublishes ? _chainTailLength : 0;

    /// <summary>
    /// Publishes one message with a fresh reply token (the reply to an earlier publish of it is ignored from now on).
    /// <paramref name="first"/>: the first message of a republish, sent without <c>Nats-Expected-Last-Msg-Id</c>
    /// (everything before it is acknowledged). Holds the publish lock.
    /// </summary>
    private async ValueTask PublishAsync(PendingMessage pending, bool first, CancellationToken cancellationToken)
    {
        var message = pending.Message;
        var headers = _headers.For(message.MessageId, pending.Headers, _options.ChainPublishes && !first ? _chainTail : null);

        if (pending.Token == 0)
        {
            pending.PreviousId = _chainTail;
        }

        if (!ReferenceEquals(_chainTail, message.MessageId))
        {
            _chainTail = message.MessageId;

            // The id passed HeaderBlockSize's checks as this message's Nats-Msg-Id value.
            _chainTailLength = WireFormat.ExpectedLastMessageIdHeader.Length + 4 + Encoding.UTF8.GetByteCount(message.MessageId);
        }

        // A new token: a reply to an earlier publish of this message no longer finds it.
        var token = ++_nextToken;
        pending.Token = token;
        _byToken.Add(token, pending);
        try
        {
            var publish = _connection.PublishAsync(
                message.Subject,
                pending.Payload,
                headers,
                ReplySubject(token),
                NatsRawSerializer<ReadOnlyMemory<byte>>.Default,
                cancellationToken: cancellationToken);
            if (!publish.IsCompletedSuccessfully)
            {
                await publish.ConfigureAwait(false);
            }
        }
        catch (NatsPayloadTooLargeException)
        {
            // max_payload of the server we reconnected to is smaller than the one the message was sized for.
            _byToken.TryRemove(token, out _);
            Fail(pending, new MessageTooLargeException(message.Subject, pending.Size, MaxPayload));
        }
        catch (NatsException e)
        {
            // The message is in the window: the next recovery republishes it in order.
            RequestResend(e.Message, delay: true);
        }
    }

    /// <summary><c>&lt;prefix&gt;.&lt;token&gt;</c>, formatted on the stack: the string is the one allocation.</summary>
    private string ReplySubject(long token)
    {
        Span<char> subject = stackalloc char[64]; // a 21-character prefix, a dot and at most 19 digits
        _replyPrefix.CopyTo(subject);
        subject[_replyPrefix.Length] = '.';
        token.TryFormat(subject[(_replyPrefix.Length + 1)..], out var digits, default, CultureInfo.InvariantCulture);
        return new string(subject[..(_replyPrefix.Length + 1 + digits)]);
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
    /// Sequences of the messages before the one found are counted back from it: the writer is the stream's only
    /// publisher (which the chain requires).
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
            .FindNewestAsync(positions.ContainsKey, MaxStoredScan, id => id.Length > 0 && id == before, cancellationToken)
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
                _ackHandler.OnAcked(message.Message, found.Sequence - (ulong)(newest - i));
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
    /// outage was); with a connected server that does not answer (no responders, a timeout, a 503), for at most
    /// <see cref="BatchWriterOptions.NoStreamRetryTime"/> of being connected. <paramref name="firstFailure"/>: the first
    /// failed read since the last good one (the one worth a log line).
    /// </summary>
    private bool ReadAgainLater(Exception e, out bool firstFailure)
    {
        var now = _time.GetTimestamp();
        var first = Interlocked.CompareExchange(ref _firstUnreadable, now, 0);
        firstFailure = first == 0;
        if (e is JetStreamException { Code: not 503 })
        {
            return false;
        }

        if (_connection.ConnectionState != NatsConnectionState.Open)
        {
            // The time counts from the reconnect, not from the start of the outage.
            Interlocked.Exchange(ref _firstUnreadable, now);
            return true;
        }

        return firstFailure || _time.GetElapsedTime(first, now) <= _options.NoStreamRetryTime;
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
