using System.Buffers;
using System.IO.Pipelines;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Replication.Wire;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Replication;

/// <summary>
/// One replication connection (<see cref="PgReplicationConnection"/>, our own wire client): START_REPLICATION
/// with pgoutput, each XLogData message copied from the socket's read buffer into a <see cref="PipeWriter"/> as
/// an <see cref="XLogFrame"/>, and standby status updates sent when the flush LSN moves. Ends with an exception
/// when the stream breaks; the caller reconnects.
/// </summary>
public sealed class ReplicationSession : IAsyncDisposable
{
    private const string OutputSettings = "-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=3 -c TimeZone=UTC";

    private readonly CdcOptions _options;
    private readonly PgOutputOptions _protocol;
    private readonly ILogger _logger;
    private PgReplicationConnection? _connection;
    private long _framesWritten;
    private volatile bool _awaitingServer;
    private volatile bool _broken;

    public ReplicationSession(CdcOptions options, PgOutputOptions protocol, ILogger logger)
    {
        _options = options;
        _protocol = protocol;
        _logger = logger;
    }

    /// <summary>Frames written into the pipe so far.</summary>
    public long FramesWritten => Interlocked.Read(ref _framesWritten);

    /// <summary>
    /// True while the read loop waits for the server with every received message already in the pipe.
    /// </summary>
    public bool AwaitingServer => _awaitingServer;

    /// <summary>Newest WAL position the server reported (XLogData or keepalive).</summary>
    public Lsn LastReceivedLsn => _connection is { } c ? new Lsn(c.LastReceivedLsn) : Lsn.Invalid;

    public async Task OpenAsync(CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(_options.Connection);

        // pgoutput's text values follow the walsender's session settings: pin the output formats the
        // value converter reads (ISO dates, postgres intervals, shortest exact floats, UTC offsets).
        var settings = ReplicationConnectionSettings.From(builder, OutputSettings);
        try
        {
            _connection = await PgReplicationConnection.OpenAsync(settings, _protocol.MaxMessageBytes, _logger, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (OperationCanceledException or CdcException) || e is PgProtocolException)
        {
            throw SourceSetup.Classify(e, builder);
        }

        _connection.StatusInterval = _options.StatusInterval;
        _connection.ReceiverTimeout = _options.ReceiverTimeout == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : _options.ReceiverTimeout;
    }

    /// <summary>Streams from the slot into <paramref name="output"/> until cancelled or the stream fails.</summary>
    public async Task StreamAsync(PipeWriter output, Lsn startFrom, CancellationToken cancellationToken = default)
    {
        var connection = _connection ?? throw new InvalidOperationException("OpenAsync first");
        try
        {
            await StreamFramesAsync(connection, output, startFrom, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A broken or ended stream cannot be ended gracefully: dispose closes it at once.
            _broken = true;
            throw;
        }
    }

    private async Task StreamFramesAsync(PgReplicationConnection connection, PipeWriter output, Lsn startFrom, CancellationToken cancellationToken)
    {
        // Returns once the server streams; a refusal (slot busy, dropped, invalidated) throws its PostgresException.
        await connection.StartLogicalReplicationAsync(_options.Slot, startFrom.Value, BuildOptions(), cancellationToken).ConfigureAwait(false);
        ListenerLog.ReplicationStarted(_logger, _options.Slot, startFrom.ToString(), connection.ServerVersion,
            _protocol.ProtocolVersion, _protocol.Streaming, _protocol.Binary);

        while (true)
        {
            var next = connection.MoveNextAsync(cancellationToken);
            if (!next.IsCompleted)
            {
                // About to wait for the network: hand what we have to the decoder first. Flushing
                // only here batches many small messages into one wake-up of the reader.
                var flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    return;
                }

                _awaitingServer = true;
            }

            bool more;
            try
            {
                more = await next.ConfigureAwait(false);
            }
            finally
            {
                _awaitingServer = false;
            }

            if (!more)
            {
                throw new ReplicationInterruptedException("the server ended the replication stream");
            }

            CopyFrame(output, connection.Current);
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

    /// <summary>One copy, from the socket's read buffer into the pipe the decoder reads.</summary>
    private void CopyFrame(PipeWriter output, XLogData message)
    {
        var contiguous = message.Bytes.TryGetMemory(out var memory);
        var data = contiguous ? default : message.Data;
        var length = message.Bytes.Length;
        if (length > _protocol.MaxMessageBytes)
        {
            throw new PgOutputException($"message of {length} bytes exceeds the cap of {_protocol.MaxMessageBytes} bytes",
                new Lsn(message.WalEnd), 0, 0);
        }

        var header = output.GetSpan(XLogFrame.HeaderSize + (int)Math.Min(length, 64 * 1024));
        XLogFrame.WriteHeader(header, message.WalStart, message.WalEnd, (int)length);
        if (header.Length >= XLogFrame.HeaderSize + length)
        {
            if (contiguous)
            {
                memory.Span.CopyTo(header[XLogFrame.HeaderSize..]);
            }
            else
            {
                data.CopyTo(header[XLogFrame.HeaderSize..]);
            }

            output.Advance(XLogFrame.HeaderSize + (int)length);
            return;
        }

        data = message.Data;

        output.Advance(XLogFrame.HeaderSize);
        while (data.Length > 0)
        {
            var span = output.GetSpan((int)Math.Min(data.Length, 64 * 1024));
            var part = (int)Math.Min(span.Length, data.Length);
            data.Slice(0, part).CopyTo(span);
            output.Advance(part);
            data = data.Slice(part);
        }
    }

    /// <summary>Reports <paramref name="flushed"/> as written, flushed and applied, and sends it now.</summary>
    public async Task ConfirmAsync(Lsn flushed, CancellationToken cancellationToken = default)
    {
        if (_connection is not { } connection || flushed == Lsn.Invalid)
        {
            return;
        }

        await connection.SendStatusUpdateAsync(flushed.Value, cancellationToken).ConfigureAwait(false);
    }

    private List<KeyValuePair<string, string?>> BuildOptions()
    {
        var options = new List<KeyValuePair<string, string?>>
        {
            new("proto_version", _protocol.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
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
    /// Ends the stream gracefully when it is still healthy (so the server reads the last status update before the
    /// socket closes), then closes the connection; a broken stream is closed at once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_connection is not { } c)
        {
            return;
        }

        _connection = null;
        try
        {
            if (!_broken)
            {
                await c.EndReplicationAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or OperationCanceledException or ObjectDisposedException
                                      or CdcException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            // The connection is already broken; closing it is all that is left.
        }
        finally
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
    }
}
