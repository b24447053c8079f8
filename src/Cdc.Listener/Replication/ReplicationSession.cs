using System.IO.Pipelines;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.Internal;
using NpgsqlTypes;

namespace Cdc.Listener.Replication;

/// <summary>
/// One replication connection: START_REPLICATION with pgoutput, each raw XLogData message copied into
/// a <see cref="PipeWriter"/> as an <see cref="XLogFrame"/>, and standby status updates sent when
/// the flush LSN moves. Ends with an exception when the stream breaks; the caller reconnects.
/// </summary>
public sealed class ReplicationSession : IAsyncDisposable
{
    private const string OutputSettings = "-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=3 -c TimeZone=UTC";

    private readonly CdcOptions _options;
    private readonly PgOutputOptions _protocol;
    private readonly ILogger _logger;
    private LogicalReplicationConnection? _connection;
    private long _framesWritten;
    private volatile bool _awaitingServer;

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
    public Lsn LastReceivedLsn => _connection is { } c ? new Lsn((ulong)c.LastReceivedLsn) : Lsn.Invalid;

    public async Task OpenAsync(CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(_options.Connection);

        // Large reads: a consumer that reads the socket in small pieces burns kernel time.
        if (builder.ReadBufferSize < 256 * 1024)
        {
            builder.ReadBufferSize = 1024 * 1024;
        }

        // pgoutput's text values follow the walsender's session settings: pin the output formats the
        // value converter reads (ISO dates, postgres intervals, shortest exact floats, UTC offsets).
        builder.Options = string.Join(' ', new[] { builder.Options, OutputSettings }.Where(o => !string.IsNullOrWhiteSpace(o)));

        var connection = new LogicalReplicationConnection(builder.ConnectionString)
        {
            WalReceiverStatusInterval = TimeSpan.FromSeconds(10),
            WalReceiverTimeout = TimeSpan.FromSeconds(90),
        };
        try
        {
            await connection.Open(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw SourceSetup.Classify(e, builder);
        }

        _connection = connection;
    }

    /// <summary>Streams from the slot into <paramref name="output"/> until cancelled or the stream fails.</summary>
    public async Task StreamAsync(PipeWriter output, Lsn startFrom, CancellationToken cancellationToken = default)
    {
        var connection = _connection ?? throw new InvalidOperationException("OpenAsync first");
        // PgOutputReplicationSlot is only the slot's name and plugin here: the raw XLogData path below never uses Npgsql's decoder.
        var slot = new Npgsql.Replication.PgOutput.PgOutputReplicationSlot(new ReplicationSlotOptions(_options.Slot, new NpgsqlLogSequenceNumber(startFrom.Value)));
        var stream = connection.StartLogicalReplication(slot, cancellationToken, null, BuildOptions(), bypassingStream: false);
        var enumerator = stream.GetAsyncEnumerator(cancellationToken);
        await using (enumerator.ConfigureAwait(false))
        {
            // START_REPLICATION is sent by the first MoveNextAsync and may be refused (slot busy, dropped,
            // invalidated): say "replicating" only once the server streams.
            Task<bool>? first = enumerator.MoveNextAsync().AsTask();
            if (await WaitUntilStreamingAsync(first, connection, cancellationToken).ConfigureAwait(false))
            {
                ListenerLog.ReplicationStarted(_logger, _options.Slot, startFrom.ToString(), connection.PostgreSqlVersion.ToString(),
                    _protocol.ProtocolVersion, _protocol.Streaming, _protocol.Binary);
            }

            while (true)
            {
                var next = MoveNext(enumerator, ref first);
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

                var message = enumerator.Current;
                await CopyFrameAsync(output, message, cancellationToken).ConfigureAwait(false);
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
    }

    private static ValueTask<bool> MoveNext(IAsyncEnumerator<XLogDataMessage> enumerator, ref Task<bool>? first)
    {
        if (first is { } started)
        {
            first = null;
            return new ValueTask<bool>(started);
        }

        return enumerator.MoveNextAsync();
    }

    /// <summary>
    /// True once the server has started streaming: the first message arrived, or a keepalive did (Npgsql
    /// records its position; the walsender sends one soon after start while nothing is confirmed). False when
    /// the first read failed; the caller's await then throws the server's error.
    /// </summary>
    private static async ValueTask<bool> WaitUntilStreamingAsync(Task<bool> first, LogicalReplicationConnection connection, CancellationToken cancellationToken)
    {
        while (!first.IsCompleted && (ulong)connection.LastReceivedLsn == 0)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return !first.IsCompleted || first.IsCompletedSuccessfully;
    }

    private async ValueTask CopyFrameAsync(PipeWriter output, XLogDataMessage message, CancellationToken cancellationToken)
    {
        var data = message.Data;
        var length = data.Length;
        if (length > _protocol.MaxMessageBytes)
        {
            throw new PgOutputException($"message of {length} bytes exceeds the cap of {_protocol.MaxMessageBytes} bytes",
                new Lsn((ulong)message.WalEnd), 0, 0);
        }

        XLogFrame.WriteHeader(output.GetSpan(XLogFrame.HeaderSize), (ulong)message.WalStart, (ulong)message.WalEnd, (int)length);
        output.Advance(XLogFrame.HeaderSize);
        var remaining = (int)length;
        while (remaining > 0)
        {
            var memory = output.GetMemory(Math.Min(remaining, 64 * 1024));
            var read = await data.ReadAsync(memory[..Math.Min(memory.Length, remaining)], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new ReplicationInterruptedException("the replication stream ended inside a message");
            }

            output.Advance(read);
            remaining -= read;
        }
    }

    /// <summary>Reports <paramref name="flushed"/> as written, flushed and applied, and sends it now.</summary>
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
            new("proto_version", _protocol.ProtocolVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("publication_names", SourceSetup.Quote(_options.Publication)),
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

    public async ValueTask DisposeAsync()
    {
        if (_connection is { } c)
        {
            _connection = null;
            try
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
                // The connection is already broken; nothing more to release.
            }
        }
    }
}
