using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.Internal;
using Npgsql.Replication.PgOutput;
using NpgsqlTypes;

namespace Cdc.Listener.Source;

/// <summary>
/// One replication session on Npgsql's <see cref="LogicalReplicationConnection"/>: IDENTIFY_SYSTEM, START_REPLICATION
/// with pgoutput through Npgsql's raw XLogData stream, each message's bytes copied once from Npgsql's read buffer into
/// a <see cref="PipeWriter"/> as an <see cref="XLogFrame"/>, and standby status updates (Npgsql also sends them every
/// <c>Cdc:StatusInterval</c> and whenever the server asks). Ends with an exception when the stream breaks; the caller
/// reconnects.
/// </summary>
public sealed class ReplicationSession : IAsyncDisposable
{
    /// <summary>Bytes asked of the pipe at a time for a large message.</summary>
    private const int CopyBlock = 64 * 1024;

    /// <summary>How often the start of the stream is looked for (once per session).</summary>
    private static readonly TimeSpan StartPoll = TimeSpan.FromMilliseconds(10);

    private readonly CdcOptions _options;
    private readonly SourceConnectionStrings _connections;
    private readonly PgOutputOptions _protocol;
    private readonly ILogger _logger;
    private LogicalReplicationConnection? _connection;
    private long _framesWritten;
    private volatile bool _awaitingServer;

    public ReplicationSession(CdcOptions options, PgOutputOptions protocol, ILogger logger)
    {
        _options = options;
        _connections = new SourceConnectionStrings(options);
        _protocol = protocol;
        _logger = logger;
    }

    /// <summary>Frames written into the pipe so far.</summary>
    public long FramesWritten => Interlocked.Read(ref _framesWritten);

    /// <summary>
    /// True while the read loop waits for the server with every received message already in the pipe.
    /// </summary>
    public bool AwaitingServer => _awaitingServer;

    /// <summary>The system and timeline IDENTIFY_SYSTEM and TIMELINE_HISTORY reported at <see cref="OpenAsync"/>.</summary>
    public ServerTimeline? Server { get; private set; }

    /// <summary>Newest WAL position the server reported (XLogData or keepalive).</summary>
    public Lsn LastReceivedLsn => _connection is { } c ? new Lsn((ulong)c.LastReceivedLsn) : Lsn.Invalid;

    /// <summary>Connects (the password file, if any, is read now) and identifies the server and its timeline history.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new LogicalReplicationConnection(await _connections.ForReplicationAsync(cancellationToken).ConfigureAwait(false))
        {
            WalReceiverStatusInterval = _options.StatusInterval,
            WalReceiverTimeout = _options.ReceiverTimeout == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : _options.ReceiverTimeout,
        };
        try
        {
            await connection.Open(cancellationToken).ConfigureAwait(false);
            var system = await connection.IdentifySystem(cancellationToken).ConfigureAwait(false);
            ListenerLog.ReplicationConnected(_logger, system.SystemId, system.Timeline, system.XLogPos.ToString(), connection.ServerVersion);
            IReadOnlyList<TimelineSwitch> history = [];
            if (system.Timeline > 1)
            {
                history = ServerTimeline.ParseHistory(await TimelineHistoryReader.ReadAsync(connection, system.Timeline, cancellationToken).ConfigureAwait(false));
            }

            Server = new ServerTimeline(system.SystemId, system.Timeline, history);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException || IsRaceOnBrokenConnection(e))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw SourceSetup.Classify(e, _connections);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _connection = connection;
    }

    /// <summary>
    /// Streams from the slot into <paramref name="output"/> until cancelled or the stream fails; <paramref name="handOff"/>
    /// is the pipe's reader scheduler (see <see cref="XLogFrame.CreatePipe"/>).
    /// </summary>
    internal async Task StreamAsync(PipeWriter output, DecoderHandOff handOff, Lsn startFrom, CancellationToken cancellationToken = default)
    {
        var connection = _connection ?? throw new InvalidOperationException("OpenAsync first");

        // START_REPLICATION goes out at the first MoveNextAsync; a refusal (slot busy, dropped, invalidated) throws
        // its PostgresException there.
        var messages = connection.StartLogicalReplication(new PgOutputReplicationSlot(_options.Slot), cancellationToken,
            new NpgsqlLogSequenceNumber(startFrom.Value), BuildOptions(), bypassingStream: false);
        var enumerator = messages.GetAsyncEnumerator(cancellationToken);
        using var started = new CancellationTokenSource();
        var announcing = AnnounceWhenStreamingAsync(connection, startFrom, started.Token);
        try
        {
            await StreamFramesAsync(enumerator, output, handOff, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRaceOnBrokenConnection(e))
        {
            throw new ReplicationInterruptedException($"the replication connection broke ({e.GetType().Name} in Npgsql)", e);
        }
        finally
        {
            await started.CancelAsync().ConfigureAwait(false);
            await announcing.ConfigureAwait(false);
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A status update runs beside the read loop (ours, or Npgsql's timer). When the socket fails under it, Npgsql
    /// breaks the connector while the read loop is inside it, which can then fail with something other than an I/O
    /// error (seen: a NullReferenceException thrown in Npgsql). That is a lost connection, not a bug to stop for.
    /// </summary>
    private static bool IsRaceOnBrokenConnection(Exception e)
        => e is NullReferenceException or InvalidOperationException or ObjectDisposedException
           && e.TargetSite?.Module.Assembly == typeof(NpgsqlConnection).Assembly;

    /// <summary>The read loop: START_REPLICATION goes out at the first MoveNextAsync.</summary>
    private async Task StreamFramesAsync(IAsyncEnumerator<XLogDataMessage> enumerator, PipeWriter output, DecoderHandOff handOff, CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = enumerator.MoveNextAsync();
            var readerGone = false;
            if (!next.IsCompleted)
            {
                // About to wait for the network: hand what we have to the decoder first, on this thread. Flushing
                // only here batches many small messages into one run of the decoder.
                readerGone = (await handOff.FlushBeforeWaitingAsync(output, cancellationToken).ConfigureAwait(false)).IsCompleted;
                _awaitingServer = !readerGone;
            }

            bool more;
            try
            {
                // Awaited even when the reader is gone: an enumerator cannot be disposed while a move is pending
                // (the caller cancels the stream next).
                more = await next.ConfigureAwait(false);
            }
            finally
            {
                _awaitingServer = false;
            }

            if (readerGone)
            {
                return;
            }

            if (!more)
            {
                throw new ReplicationInterruptedException("the server ended the replication stream");
            }

            await CopyFrameAsync(output, enumerator.Current).ConfigureAwait(false);
            Interlocked.Increment(ref _framesWritten);
            if (output.UnflushedBytes >= 256 * 1024)
            {
                var flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Says "Replicating slot" once the server streams. Npgsql keeps the CopyBothResponse to itself, but a walsender
    /// that streams sends a keepalive at once (it does not know our flush position yet), which moves
    /// <see cref="LogicalReplicationConnection.LastReceivedLsn"/>; a refused start (slot busy, dropped) sends neither
    /// and ends the read loop, which cancels this. Polls beside the read loop so that the loop itself stays as it is.
    /// </summary>
    private async Task AnnounceWhenStreamingAsync(LogicalReplicationConnection connection, Lsn startFrom, CancellationToken cancellationToken)
    {
        try
        {
            while (connection.LastReceivedLsn == default && FramesWritten == 0)
            {
                await Task.Delay(StartPoll, cancellationToken).ConfigureAwait(false);
            }

            ListenerLog.ReplicationStarted(_logger, _options.Slot, startFrom.ToString(), connection.ServerVersion,
                _protocol.ProtocolVersion, _protocol.Streaming, _protocol.Binary);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The one copy: from Npgsql's read buffer (through <see cref="XLogDataMessage.Data"/>, valid only until the next
    /// message) straight into the pipe's memory. Synchronous whenever the message is already buffered; the pooled
    /// builder keeps the rare asynchronous completion (a message larger than what was read) from allocating.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CopyFrameAsync(PipeWriter output, XLogDataMessage message)
    {
        var data = message.Data;
        var length = data.Length;
        if (length > _protocol.MaxMessageBytes)
        {
            throw new PgOutputException($"message of {length} bytes exceeds the cap of {_protocol.MaxMessageBytes} bytes",
                new Lsn((ulong)message.WalEnd), 0, 0);
        }

        var size = (int)length;
        var memory = output.GetMemory(XLogFrame.HeaderSize + Math.Min(size, CopyBlock));
        XLogFrame.WriteHeader(memory.Span, (ulong)message.WalStart, (ulong)message.WalEnd, size);
        if (memory.Length >= XLogFrame.HeaderSize + size)
        {
            await ReadExactlyAsync(data, memory.Slice(XLogFrame.HeaderSize, size)).ConfigureAwait(false);
            output.Advance(XLogFrame.HeaderSize + size);
            return;
        }

        output.Advance(XLogFrame.HeaderSize);
        while (size > 0)
        {
            var block = output.GetMemory(Math.Min(size, CopyBlock));
            var part = Math.Min(block.Length, size);
            await ReadExactlyAsync(data, block[..part]).ConfigureAwait(false);
            output.Advance(part);
            size -= part;
        }
    }

    /// <summary>
    /// No cancellation token: Npgsql would register one per read. The replication's own token and
    /// <c>Cdc:ReceiverTimeout</c> still end a read that waits on the network.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask ReadExactlyAsync(Stream data, Memory<byte> destination)
    {
        while (destination.Length > 0)
        {
            var read = await data.ReadAsync(destination, CancellationToken.None).ConfigureAwait(false);
            if (read == 0)
            {
                throw new ReplicationInterruptedException("the replication stream ended inside a message");
            }

            destination = destination[read..];
        }
    }

    /// <summary>Reports <paramref name="flushed"/> as flushed and applied, and sends it now.</summary>
    public async Task ConfirmAsync(Lsn flushed, CancellationToken cancellationToken = default)
    {
        if (_connection is not { } connection || flushed == Lsn.Invalid)
        {
            return;
        }

        connection.SetReplicationStatus(new NpgsqlLogSequenceNumber(flushed.Value));
        await connection.SendStatusUpdate(cancellationToken).ConfigureAwait(false);
    }

    private List<KeyValuePair<string, string?>> BuildOptions()
    {
        var options = new List<KeyValuePair<string, string?>>
        {
            new("proto_version", _protocol.ProtocolVersion.ToString(CultureInfo.InvariantCulture)),
            new("publication_names", string.Join(',', (_protocol.PublicationNames.Count > 0 ? _protocol.PublicationNames : [_options.Publication]).Select(SourceSetup.Quote))),
        };
        if (_protocol.Binary)
        {
            options.Add(new("binary", "true"));
        }

        if (_protocol.Messages)
        {
            options.Add(new("messages", "true"));
        }

        if (_protocol.Streaming)
        {
            options.Add(new("streaming", "on"));
        }

        return options;
    }

    /// <summary>
    /// Closes the connection. A stream still running is cancelled by Npgsql first (a cancel request, then the rest
    /// of the stream read and dropped); the status update <see cref="ConfirmAsync"/> sent before is already on the wire.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_connection is not { } c)
        {
            return;
        }

        _connection = null;
        await c.DisposeAsync().ConfigureAwait(false);
    }
}
