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
    private long _jetStreamDuplicates;

    /// <summary>Timestamp (the writer's TimeProvider) of the first failed read of the stream before a republish, since the last that worked; 0: none.</summary>
    private long _firstUnreadable;

    /// <summary>Ends a batch left open longer than <see cref="BatchWriterOptions.Timeout"/>; armed by the batch's first message.</summary>
    private Timer? _batchTimer;
    private int _batchTimerArmed;
    private Task _timedPublish = Task.CompletedTask;
    private MessageKind? _lastKind;
    private long _nextToken;

    /// <summary>Messages published at least once: the last <see cref="PendingMessage.Ordinal"/> given.</summary>
    private long _published;
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

    /// <inheritdoc/>
    public long JetStreamDuplicates => Interlocked.Read(ref _jetStreamDuplicates);

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

        _storedBeforeStart = (await StreamSetup.EnsureStreamAsync(_jetStream, _streamOptions, _logger, cancellationToken).ConfigureAwait(false)).State.LastSeq;
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
}
