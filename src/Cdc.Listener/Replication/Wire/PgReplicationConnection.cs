using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// A logical replication connection of our own: socket (optionally TLS) into a <see cref="PipeReader"/>, CopyData
/// XLogData messages handed out in place from the read buffer, keepalives answered, standby status updates
/// written on demand and every <see cref="StatusInterval"/>. Npgsql's replication API costs about 180 ns per
/// message in async iterators, timers and a stream object before a byte is decoded; this costs a few slices.
/// <para>
/// Reading is single-consumer: <see cref="MoveNextAsync"/> and <see cref="Current"/> from one task. Status updates
/// may be sent from any task; writes are serialized.
/// </para>
/// </summary>
public sealed class PgReplicationConnection : IAsyncDisposable
{
    /// <summary>XLogData's header inside CopyData: 'w', WAL start, WAL end, server clock.</summary>
    private const int XLogHeaderSize = 1 + 8 + 8 + 8;

    /// <summary>How long a graceful end (CopyDone, then ReadyForQuery) may take before the socket is just closed.</summary>
    private static readonly TimeSpan GracefulEndTimeout = TimeSpan.FromSeconds(5);

    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly int _maxBodyBytes;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _statusBuffer = new byte[FrontendMessages.StandbyStatusUpdateSize];
    private readonly Dictionary<string, string> _parameters = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _background = new();

    private ReadOnlySequence<byte> _buffer;

    // The fast path reads whole messages from the first segment by index: _unread is what is left of it, _taken
    // how much of _buffer was read that way and is not yet sliced off (slicing a sequence per message costs more
    // than the rest of the message's handling).
    private ReadOnlyMemory<byte> _unread;
    private long _taken;
    private volatile bool _bufferHeld;
    private bool _readerCompleted;
    private bool _copyEnded;
    private volatile bool _streaming;
    private bool _replyRequested;
    private XLogData _current;
    private long _lastReceivedLsn;
    private long _flushedLsn;
    private long _lastReceiveTicks = Environment.TickCount64;
    private long _lastStatusTicks = Environment.TickCount64;
    private long _lastPingTicks;
    private Task? _housekeeping;
    private int _disposed;

    private PgReplicationConnection(Stream stream, int maxBodyBytes, ILogger logger)
    {
        _stream = stream;
        _maxBodyBytes = maxBodyBytes;
        _logger = logger;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(
            bufferSize: 256 * 1024, minimumReadSize: 64 * 1024, leaveOpen: true, useZeroByteReads: false));
    }

    /// <summary>
    /// A standby status update is sent at least this often while streaming, whether the flush position moved or not.
    /// Set it after <see cref="OpenAsync"/> and before <see cref="StartLogicalReplicationAsync"/>, which starts the timer.
    /// </summary>
    public TimeSpan StatusInterval
    {
        get;
        set => field = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the status interval must be positive");
    } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The stream fails with a <see cref="TimeoutException"/> when the server sends nothing for this long while waited
    /// for; <see cref="Timeout.InfiniteTimeSpan"/> turns the check off. Set it before <see cref="StartLogicalReplicationAsync"/>.
    /// </summary>
    public TimeSpan ReceiverTimeout
    {
        get;
        set => field = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "the receiver timeout must be positive or infinite");
    } = TimeSpan.FromSeconds(90);

    /// <summary>Run-time parameters the server reported (server_version, server_encoding, ...).</summary>
    public IReadOnlyDictionary<string, string> Parameters => _parameters;

    /// <summary>The server's version as it reported it (e.g. "15.18 (Debian 15.18-0+deb12u1)").</summary>
    public string ServerVersion => _parameters.GetValueOrDefault("server_version") ?? "unknown";

    /// <summary>The message <see cref="MoveNextAsync"/> last returned; its data is valid until the next call.</summary>
    public XLogData Current => _current;

    /// <summary>Newest WAL end the server reported in XLogData or a keepalive.</summary>
    public ulong LastReceivedLsn => (ulong)Interlocked.Read(ref _lastReceivedLsn);

    /// <summary>
    /// Connects to the first endpoint that accepts (TLS as <see cref="ReplicationConnectionSettings.SslMode"/> says),
    /// logs in with <c>replication=database</c> and waits for ReadyForQuery.
    /// </summary>
    /// <param name="maxMessageBytes">Largest output plugin message accepted; a longer one is refused before it is buffered.</param>
    public static async Task<PgReplicationConnection> OpenAsync(
        ReplicationConnectionSettings settings, int maxMessageBytes, ILogger logger, CancellationToken cancellationToken = default)
    {
        // CopyData body = 'w' + 24 header bytes + the message; errors and parameter messages are far smaller.
        var maxBodyBytes = (int)Math.Min(int.MaxValue - 64, (long)maxMessageBytes + 64);
        Exception? last = null;
        foreach (var (host, port) in settings.Endpoints)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.ConnectTimeout);
            try
            {
                return await OpenOneAsync(settings, host, port, maxBodyBytes, logger, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = new TimeoutException($"connecting to {host}:{port} took longer than {settings.ConnectTimeout.TotalSeconds:0} s (Timeout)");
            }
            catch (PostgresException e) when (e.SqlState is "28P01" or "28000" or "3D000" or "42501")
            {
                // Refused by a server that answered: the next host will say the same about the same login.
                throw;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or PostgresException or PgProtocolException
                                          or System.Security.Authentication.AuthenticationException)
            {
                last = e;
            }
        }

        throw last ?? new InvalidOperationException("no endpoint");
    }

    private static async Task<PgReplicationConnection> OpenOneAsync(
        ReplicationConnectionSettings settings, string host, int port, int maxBodyBytes, ILogger logger, CancellationToken cancellationToken)
    {
        var useSsl = settings.SslMode != SslMode.Disable && settings.SslMode != SslMode.Allow && !PgTransport.IsUnixSocket(host);
        try
        {
            return await LoginAsync(settings, host, port, useSsl, maxBodyBytes, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (settings.SslMode == SslMode.Allow && e.SqlState == "28000" && !PgTransport.IsUnixSocket(host))
        {
            // Allow: plain first; a server whose pg_hba.conf only has hostssl for us refuses that, so try TLS.
            return await LoginAsync(settings, host, port, useSsl: true, maxBodyBytes, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Security.Authentication.AuthenticationException) when (settings.SslMode == SslMode.Prefer && useSsl)
        {
            // Prefer (as libpq): the server agreed to TLS but the handshake failed; a plain connection is still acceptable.
            return await LoginAsync(settings, host, port, useSsl: false, maxBodyBytes, logger, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<PgReplicationConnection> LoginAsync(
        ReplicationConnectionSettings settings, string host, int port, bool useSsl, int maxBodyBytes, ILogger logger, CancellationToken cancellationToken)
    {
        var stream = await PgTransport.ConnectAsync(settings, host, port, useSsl, cancellationToken).ConfigureAwait(false);
        var connection = new PgReplicationConnection(stream, maxBodyBytes, logger);
        try
        {
            await connection.WriteAsync(FrontendMessages.Startup(StartupParameters(settings)), cancellationToken).ConfigureAwait(false);
            await connection.AuthenticateAsync(settings, host, port, cancellationToken).ConfigureAwait(false);
            await connection.WaitForReadyAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> StartupParameters(ReplicationConnectionSettings settings)
    {
        yield return new("user", settings.User);
        yield return new("database", settings.Database);
        yield return new("replication", "database");
        yield return new("client_encoding", "UTF8");
        if (settings.ApplicationName is { } name)
        {
            yield return new("application_name", name);
        }

        if (!string.IsNullOrWhiteSpace(settings.Options))
        {
            yield return new("options", settings.Options);
        }
    }

    private async Task AuthenticateAsync(ReplicationConnectionSettings settings, string host, int port, CancellationToken cancellationToken)
    {
        ScramSha256Client? scram = null;
        var serverProven = false;
        while (true)
        {
            var (code, body) = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            switch (code)
            {
                case BackendMessageCode.ErrorResponse:
                    throw ServerMessageFields.ToException(new ReadOnlySequence<byte>(body));
                case BackendMessageCode.NegotiateProtocolVersion:
                case BackendMessageCode.NoticeResponse:
                    continue;
                case BackendMessageCode.Authentication:
                    break;
                default:
                    throw new PgProtocolException($"PostgreSQL sent '{(char)code}' during authentication");
            }

            if (body.Length < 4)
            {
                throw new PgProtocolException("PostgreSQL sent a truncated authentication request");
            }

            var request = (AuthenticationCode)BinaryPrimitives.ReadInt32BigEndian(body);
            var data = body.AsMemory(4);
            switch (request)
            {
                case AuthenticationCode.Ok when scram is not null && !serverProven:
                    // Without SASLFinal the server never proved it knows the password: an impostor skips straight to Ok.
                    throw new PgAuthenticationException("PostgreSQL ended SCRAM-SHA-256 authentication without its final message (the server did not prove it knows the password)");
                case AuthenticationCode.Ok:
                    return;
                case AuthenticationCode.CleartextPassword:
                    await WriteAsync(FrontendMessages.Password(Encoding.UTF8.GetBytes(RequirePassword(settings, host, port))), cancellationToken).ConfigureAwait(false);
                    break;
                case AuthenticationCode.Md5Password when data.Length >= 4:
                    await WriteAsync(FrontendMessages.Password(Md5Password.Compute(settings.User, RequirePassword(settings, host, port), data.Span[..4])), cancellationToken)
                        .ConfigureAwait(false);
                    break;
                case AuthenticationCode.Sasl:
                    if (!SaslMechanisms(data.Span).Contains(ScramSha256Client.Mechanism))
                    {
                        throw new PgAuthenticationException(
                            $"PostgreSQL offers SASL mechanisms {string.Join(", ", SaslMechanisms(data.Span))}; the replication connection speaks {ScramSha256Client.Mechanism}");
                    }

                    scram = new ScramSha256Client(RequirePassword(settings, host, port));
                    await WriteAsync(FrontendMessages.SaslInitialResponse(ScramSha256Client.Mechanism, scram.CreateClientFirstMessage()), cancellationToken)
                        .ConfigureAwait(false);
                    break;
                case AuthenticationCode.SaslContinue when scram is not null:
                    await WriteAsync(FrontendMessages.SaslResponse(scram.CreateClientFinalMessage(data.Span)), cancellationToken).ConfigureAwait(false);
                    break;
                case AuthenticationCode.SaslFinal when scram is not null:
                    scram.VerifyServerFinalMessage(data.Span);
                    serverProven = true;
                    break;
                case AuthenticationCode.KerberosV5 or AuthenticationCode.Gss or AuthenticationCode.GssContinue or AuthenticationCode.Sspi:
                    throw new PgAuthenticationException($"PostgreSQL asks for {request} authentication, which the replication connection does not support; use password or SCRAM");
                default:
                    throw new PgProtocolException($"PostgreSQL sent authentication request {(int)request} out of order or truncated");
            }
        }
    }

    private static string RequirePassword(ReplicationConnectionSettings settings, string host, int port)
        => settings.PasswordFor(host, port) ?? throw new PgAuthenticationException(
            $"PostgreSQL asks for a password for user '{settings.User}' and none is set (Password in Cdc:Connection, PGPASSWORD or a .pgpass entry)");

    private static List<string> SaslMechanisms(ReadOnlySpan<byte> data)
    {
        var names = new List<string>();
        while (data.Length > 0 && data[0] != 0)
        {
            var end = data.IndexOf((byte)0);
            if (end < 0)
            {
                throw new PgProtocolException("PostgreSQL sent an unterminated SASL mechanism list");
            }

            names.Add(Encoding.UTF8.GetString(data[..end]));
            data = data[(end + 1)..];
        }

        return names;
    }

    /// <summary>After AuthenticationOk: ParameterStatus and BackendKeyData until ReadyForQuery.</summary>
    private async Task WaitForReadyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var (code, body) = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            switch (code)
            {
                case BackendMessageCode.ReadyForQuery:
                    return;
                case BackendMessageCode.ErrorResponse:
                    throw ServerMessageFields.ToException(new ReadOnlySequence<byte>(body));
                case BackendMessageCode.ParameterStatus:
                    ReadParameter(body);
                    break;
                case BackendMessageCode.BackendKeyData or BackendMessageCode.NoticeResponse or BackendMessageCode.NegotiateProtocolVersion:
                    break;
                default:
                    throw new PgProtocolException($"PostgreSQL sent '{(char)code}' before ReadyForQuery");
            }
        }
    }

    private void ReadParameter(byte[] body)
    {
        var span = body.AsSpan();
        var nameEnd = span.IndexOf((byte)0);
        var valueEnd = nameEnd < 0 ? -1 : span[(nameEnd + 1)..].IndexOf((byte)0);
        if (valueEnd < 0)
        {
            throw new PgProtocolException("PostgreSQL sent a malformed ParameterStatus");
        }

        _parameters[Encoding.UTF8.GetString(span[..nameEnd])] = Encoding.UTF8.GetString(span.Slice(nameEnd + 1, valueEnd));
    }

    /// <summary>
    /// START_REPLICATION SLOT ... LOGICAL: returns once the server answers CopyBothResponse (it streams), throws
    /// its <see cref="PostgresException"/> when it refuses (slot busy, missing, invalidated, publication missing).
    /// </summary>
    public async Task StartLogicalReplicationAsync(string slot, ulong startLsn, IReadOnlyList<KeyValuePair<string, string?>> options,
        CancellationToken cancellationToken = default)
    {
        var sql = new StringBuilder("START_REPLICATION SLOT ").Append(QuoteIdentifier(slot)).Append(" LOGICAL ")
            .Append(string.Create(CultureInfo.InvariantCulture, $"{startLsn >> 32:X}/{startLsn & 0xFFFFFFFF:X}"));
        if (options.Count > 0)
        {
            sql.Append(" (").AppendJoin(", ", options.Select(o => o.Value is null ? QuoteIdentifier(o.Key) : $"{QuoteIdentifier(o.Key)} '{o.Value.Replace("'", "''", StringComparison.Ordinal)}'"))
                .Append(')');
        }

        await WriteAsync(FrontendMessages.Query(sql.ToString()), cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var (code, body) = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            switch (code)
            {
                case BackendMessageCode.CopyBothResponse:
                    _streaming = true;
                    Interlocked.Exchange(ref _flushedLsn, (long)startLsn);
                    _lastReceiveTicks = Environment.TickCount64;
                    _housekeeping = HousekeepingLoopAsync(_background.Token);
                    return;
                case BackendMessageCode.ErrorResponse:
                    var error = ServerMessageFields.ToException(new ReadOnlySequence<byte>(body));
                    await DrainUntilReadyAsync(cancellationToken).ConfigureAwait(false);
                    throw error;
                case BackendMessageCode.NoticeResponse:
                    ReplicationWireLog.ServerNotice(_logger, ServerMessageFields.DescribeNotice(new ReadOnlySequence<byte>(body)));
                    break;
                case BackendMessageCode.ParameterStatus:
                    ReadParameter(body);
                    break;
                default:
                    throw new PgProtocolException($"PostgreSQL answered START_REPLICATION with '{(char)code}'");
            }
        }
    }

    private async Task DrainUntilReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            while ((await ReadMessageAsync(cancellationToken).ConfigureAwait(false)).Code != BackendMessageCode.ReadyForQuery)
            {
            }
        }
        catch (Exception e) when (e is IOException or PgProtocolException)
        {
            // The error already read is what the caller reports.
        }
    }

    /// <summary>
    /// Moves to the next XLogData message (<see cref="Current"/>), answering keepalives on the way. Completes
    /// synchronously while whole messages are buffered; false when the server ended the copy (CopyDone).
    /// </summary>
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        if (TryMoveNextBuffered())
        {
            return new ValueTask<bool>(true);
        }

        return _copyEnded ? new ValueTask<bool>(false) : MoveNextSlowAsync(cancellationToken);
    }

    private async ValueTask<bool> MoveNextSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await FillAsync(cancellationToken).ConfigureAwait(false);
            if (TryMoveNextBuffered())
            {
                return true;
            }

            if (_copyEnded)
            {
                return false;
            }
        }
    }

    /// <summary>Takes buffered messages up to the next XLogData (true); false when no whole message is left or the copy ended.</summary>
    private bool TryMoveNextBuffered()
    {
        while (!_copyEnded)
        {
            if (TryTakeXLogData())
            {
                return true;
            }

            if (!TryTake(out var message))
            {
                return false;
            }

            if (Accept(message))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The hot path: a whole CopyData carrying XLogData at the front of the read buffer's first segment becomes
    /// <see cref="Current"/> by index, without building a sequence. Anything else is left to <see cref="TryTake"/>.
    /// </summary>
    private bool TryTakeXLogData()
    {
        const int Prefix = 1 + 4 + XLogHeaderSize;
        if (!_bufferHeld)
        {
            return false;
        }

        var span = _unread.Span;
        if (span.Length < Prefix || span[0] != (byte)BackendMessageCode.CopyData || span[5] != (byte)ReplicationMessageCode.XLogData)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(span[1..]);
        if (length < 4 + XLogHeaderSize || length - 4 > _maxBodyBytes || span.Length - 1 < length)
        {
            return false;
        }

        var walEnd = BinaryPrimitives.ReadUInt64BigEndian(span[14..]);
        _current = new XLogData(BinaryPrimitives.ReadUInt64BigEndian(span[6..]), walEnd, BinaryPrimitives.ReadInt64BigEndian(span[22..]),
            new BufferedBytes(_unread.Slice(Prefix, length - 4 - XLogHeaderSize)));
        AdvanceReceived(walEnd);
        _unread = _unread.Slice(1 + length);
        _taken += 1 + length;
        return true;
    }

    /// <summary>True for XLogData (now <see cref="Current"/>); handles everything else the stream may carry.</summary>
    private bool Accept(BackendMessage message)
    {
        switch (message.Code)
        {
            case BackendMessageCode.CopyData:
                return AcceptCopyData(message.Body);
            case BackendMessageCode.ErrorResponse:
                throw ServerMessageFields.ToException(message.Body);
            case BackendMessageCode.NoticeResponse:
                ReplicationWireLog.ServerNotice(_logger, ServerMessageFields.DescribeNotice(message.Body));
                return false;
            case BackendMessageCode.CopyDone:
                _copyEnded = true;
                return false;
            case BackendMessageCode.ParameterStatus:
                return false;
            default:
                throw new PgProtocolException($"PostgreSQL sent '{(char)message.Code}' inside the replication stream");
        }
    }

    private bool AcceptCopyData(ReadOnlySequence<byte> body)
    {
        const int KeepaliveSize = 1 + 8 + 8 + 1;
        Span<byte> scratch = stackalloc byte[XLogHeaderSize];
        var header = body.FirstSpan.Length >= XLogHeaderSize ? body.FirstSpan : Copy(body, scratch);
        if (header.Length >= XLogHeaderSize && header[0] == (byte)ReplicationMessageCode.XLogData)
        {
            // One TryTakeXLogData left: split across segments, or met just after a segment border.
            var data = body.Slice(XLogHeaderSize);
            var walEnd = BinaryPrimitives.ReadUInt64BigEndian(header[9..]);
            _current = data.IsSingleSegment
                ? new XLogData(BinaryPrimitives.ReadUInt64BigEndian(header[1..]), walEnd, BinaryPrimitives.ReadInt64BigEndian(header[17..]), new BufferedBytes(data.First))
                : new XLogData(BinaryPrimitives.ReadUInt64BigEndian(header[1..]), walEnd, BinaryPrimitives.ReadInt64BigEndian(header[17..]), new BufferedBytes(data));
            AdvanceReceived(walEnd);
            return true;
        }

        if (header.Length >= KeepaliveSize && header[0] == (byte)ReplicationMessageCode.PrimaryKeepalive)
        {
            AdvanceReceived(BinaryPrimitives.ReadUInt64BigEndian(header[1..]));
            if (header[17] != 0)
            {
                // Answered before the next wait for the server (the server asks when it nears wal_sender_timeout).
                _replyRequested = true;
            }

            return false;
        }

        throw new PgProtocolException(header.Length switch
        {
            0 => "PostgreSQL sent an empty CopyData message",
            _ when header[0] == (byte)ReplicationMessageCode.XLogData
                => $"PostgreSQL sent an XLogData message of {body.Length} bytes, shorter than its {XLogHeaderSize}-byte header",
            _ when header[0] == (byte)ReplicationMessageCode.PrimaryKeepalive
                => $"PostgreSQL sent a keepalive message of {body.Length} bytes, shorter than its {KeepaliveSize} bytes",
            _ => $"PostgreSQL sent a CopyData '{(char)header[0]}' message of {body.Length} bytes, which is not XLogData or a keepalive",
        });
    }

    private static ReadOnlySpan<byte> Copy(ReadOnlySequence<byte> body, Span<byte> scratch)
    {
        var length = (int)Math.Min(body.Length, scratch.Length);
        body.Slice(0, length).CopyTo(scratch);
        return scratch[..length];
    }

    private void AdvanceReceived(ulong lsn)
    {
        // One writer (the reading task); readers on other tasks use Interlocked.Read.
        if (lsn > (ulong)_lastReceivedLsn)
        {
            Volatile.Write(ref _lastReceivedLsn, (long)lsn);
        }
    }

    private bool TryTake(out BackendMessage message)
    {
        if (!_bufferHeld)
        {
            message = default;
            return false;
        }

        var span = _unread.Span;
        if (span.Length >= 5)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(span[1..]);
            if (length >= 4 && length - 4 <= _maxBodyBytes && span.Length - 1 >= length)
            {
                message = new BackendMessage((BackendMessageCode)span[0], new ReadOnlySequence<byte>(_unread.Slice(5, length - 4)));
                _unread = _unread.Slice(1 + length);
                _taken += 1 + length;
                return true;
            }
        }

        // A message across segments, one not complete yet, or a bad length (TryRead says which).
        SyncBuffer();
        var taken = BackendMessage.TryRead(ref _buffer, _maxBodyBytes, out message);
        _unread = _buffer.First;
        return taken;
    }

    private void SyncBuffer()
    {
        if (_taken > 0)
        {
            _buffer = _buffer.Slice(_taken);
            _taken = 0;
        }
    }

    /// <summary>Releases what was read and waits for more bytes; throws when the server closed the connection.</summary>
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        SyncBuffer();
        if (_readerCompleted)
        {
            throw _buffer.Length > 0
                ? new PgProtocolException($"PostgreSQL closed the connection inside a message ({_buffer.Length} bytes of it received)")
                : new EndOfStreamException("PostgreSQL closed the connection");
        }

        if (_bufferHeld)
        {
            // Restart the silence clock before the housekeeping loop may look at it (it checks only while the buffer
            // is not held): the time the consumer held the buffer is not silence from the server.
            Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
            _bufferHeld = false;
            _reader.AdvanceTo(_buffer.Start, _buffer.End);
        }

        if (_replyRequested)
        {
            _replyRequested = false;
            if (_streaming)
            {
                await SendStatusUpdateAsync(requestReply: false, cancellationToken).ConfigureAwait(false);
            }
        }

        // The receiver timeout counts time spent waiting here, not time the consumer spent elsewhere.
        _lastReceiveTicks = Environment.TickCount64;
        var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        while (result.IsCanceled)
        {
            // Only the housekeeping loop cancels reads. Its cancel may land just after a read that got data, or
            // before this read began: the timeout counts only when this read itself waited that long.
            _reader.AdvanceTo(result.Buffer.Start);
            if (ReceiverTimeout != Timeout.InfiniteTimeSpan && TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastReceiveTicks) >= ReceiverTimeout)
            {
                throw new TimeoutException($"PostgreSQL sent nothing for {ReceiverTimeout.TotalSeconds:0} s (not even a keepalive): the connection is dead");
            }

            result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        _buffer = result.Buffer;
        _unread = _buffer.First;
        _taken = 0;
        _bufferHeld = true;
        _readerCompleted = result.IsCompleted;
        _lastReceiveTicks = Environment.TickCount64;
    }

    /// <summary>One whole message, copied out: for the startup and the replication command, not for the stream.</summary>
    private async ValueTask<(BackendMessageCode Code, byte[] Body)> ReadMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryTake(out var message))
            {
                return (message.Code, message.Body.ToArray());
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reports <paramref name="flushed"/> as flushed and applied (the slot's confirmed_flush_lsn moves to it) and sends
    /// a standby status update now. A position below the one already reported is ignored.
    /// </summary>
    public Task SendStatusUpdateAsync(ulong flushed, CancellationToken cancellationToken = default)
    {
        // Outside copy mode (replication refused, or already ended) a CopyData would be a protocol violation.
        if (!_streaming)
        {
            return Task.CompletedTask;
        }

        var current = Interlocked.Read(ref _flushedLsn);
        while ((ulong)current < flushed)
        {
            var seen = Interlocked.CompareExchange(ref _flushedLsn, (long)flushed, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        return SendStatusUpdateAsync(requestReply: false, cancellationToken).AsTask();
    }

    private async ValueTask SendStatusUpdateAsync(bool requestReply, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var flushed = (ulong)Interlocked.Read(ref _flushedLsn);
            var written = Math.Max(LastReceivedLsn, flushed);
            FrontendMessages.WriteStandbyStatusUpdate(_statusBuffer, written, flushed, flushed, PgClock.NowMicros(), requestReply);
            await _stream.WriteAsync(_statusBuffer, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            _lastStatusTicks = Environment.TickCount64;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task WriteAsync(byte[] message, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// While streaming: a status update every <see cref="StatusInterval"/> (so wal_sender_timeout never fires while
    /// the reader is held back by a slow sink and cannot see the server's keepalive requests), and the receiver
    /// timeout, which cancels a read that waited too long.
    /// </summary>
    private async Task HousekeepingLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(StatusInterval.TotalMilliseconds / 4, 10, 1000)));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                if (TimeSpan.FromMilliseconds(now - _lastStatusTicks) >= StatusInterval)
                {
                    await SendStatusUpdateAsync(requestReply: false, cancellationToken).ConfigureAwait(false);
                }

                var silence = TimeSpan.FromMilliseconds(now - Volatile.Read(ref _lastReceiveTicks));
                if (ReceiverTimeout != Timeout.InfiniteTimeSpan && !_bufferHeld && silence >= ReceiverTimeout / 2
                    && TimeSpan.FromMilliseconds(now - _lastPingTicks) >= ReceiverTimeout / 2)
                {
                    // An idle walsender that hears from us regularly sends nothing at all (it asks for a reply only when
                    // we go quiet): ask it for one, as PostgreSQL's own walreceiver does at half its timeout.
                    _lastPingTicks = now;
                    await SendStatusUpdateAsync(requestReply: true, cancellationToken).ConfigureAwait(false);
                }

                if (ReceiverTimeout != Timeout.InfiniteTimeSpan && !_bufferHeld && silence >= ReceiverTimeout)
                {
                    // The reader decides whether its read really waited that long (see FillAsync).
                    _reader.CancelPendingRead();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // The socket broke; the reader sees the same and reports it.
            ReplicationWireLog.StatusUpdateFailed(_logger, e.Message);
        }
    }

    /// <summary>
    /// Ends the stream the way the protocol expects: CopyDone, then everything the server still sends is read and
    /// dropped until ReadyForQuery. Closing the socket with unread data in it would make the kernel reset the
    /// connection, and the server could drop the last status update still in its receive buffer.
    /// </summary>
    public async Task EndReplicationAsync(CancellationToken cancellationToken = default)
    {
        if (!_streaming)
        {
            return;
        }

        // Nothing may follow CopyDone: stop the periodic status updates first (keepalive replies check _streaming).
        _streaming = false;
        await StopHousekeepingAsync().ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(GracefulEndTimeout);
        await WriteAsync(FrontendMessages.CopyDone(), timeout.Token).ConfigureAwait(false);
        while (!_copyEnded)
        {
            if (!await MoveNextAsync(timeout.Token).ConfigureAwait(false))
            {
                break;
            }
        }

        while (true)
        {
            var (code, body) = await ReadMessageAsync(timeout.Token).ConfigureAwait(false);
            if (code == BackendMessageCode.ReadyForQuery)
            {
                return;
            }

            if (code == BackendMessageCode.ErrorResponse)
            {
                throw ServerMessageFields.ToException(new ReadOnlySequence<byte>(body));
            }
        }
    }

    private async Task StopHousekeepingAsync()
    {
        await _background.CancelAsync().ConfigureAwait(false);
        if (_housekeeping is { } housekeeping)
        {
            await housekeeping.ConfigureAwait(false);
        }
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _streaming = false;
        await StopHousekeepingAsync().ConfigureAwait(false);
        try
        {
            // Terminate lets the server end the backend without logging an unexpected EOF.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await WriteAsync(FrontendMessages.Terminate(), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
        }

        await _reader.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _background.Dispose();
        _writeLock.Dispose();
    }
}
