using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Sink.Nats;

/// <summary>
/// A NATS client connection: handshake (INFO, CONNECT with auth, PING/PONG), publish with headers,
/// subscriptions, request/reply over one muxed inbox, and automatic reconnect with exponential backoff
/// and jitter across the seed URLs and the <c>connect_urls</c> the servers announce. Thread-safe.
/// </summary>
public sealed partial class NatsConnection : IAsyncDisposable
{
    private readonly NatsOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly object _stateLock = new();
    private readonly List<NatsServerAddress> _servers = [];
    private readonly Dictionary<long, NatsSubscription> _subscriptions = [];
    private readonly ReplyMux _mux = new();
    private readonly CancellationTokenSource _disposed = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NatsSession? _session;
    private NatsConnectionState _state;
    private long _nextSid = 1;
    private long _sessionId;
    private int _serverCursor;
    private Task? _supervisor;

    /// <summary>Creates a connection (not yet connected: call <see cref="ConnectAsync"/>).</summary>
    public NatsConnection(NatsOptions options, ILogger<NatsConnection>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _servers.AddRange(options.Urls.Select(NatsServerAddress.Parse));
    }

    /// <summary>Raised on every state change (from the connection's own threads).</summary>
    public event EventHandler<NatsConnectionStateChangedEventArgs>? StateChanged;

    public NatsConnectionState State => _state;

    /// <summary>The INFO of the current server (null before the first connect).</summary>
    public ServerInfo? ServerInfo => _session?.Info;

    /// <summary>The current server's max_payload (headers and payload of one message).</summary>
    public long MaxPayload => _session?.Info.MaxPayload ?? 1024 * 1024;

    /// <summary>The connected server, without credentials.</summary>
    public string? ConnectedServer => _session?.Server.Display;

    /// <summary>Servers known now: seeds plus discovered ones (no credentials).</summary>
    public IReadOnlyList<string> KnownServers
    {
        get
        {
            lock (_servers)
            {
                return [.. _servers.Select(s => s.Display)];
            }
        }
    }

    internal ReplyMux Mux => _mux;

    /// <summary>Incremented on every (re)connect: a writer can tell that its earlier publishes may be lost.</summary>
    public long SessionId => Volatile.Read(ref _sessionId);

    internal NatsOptions Options => _options;

    /// <summary>
    /// Connects to the first server that accepts (seed order). Throws the last error when none does; an
    /// authorization error is thrown at once.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (_supervisor is not null)
        {
            throw new InvalidOperationException("already connected");
        }

        SetState(NatsConnectionState.Connecting, null, null);
        Exception? last = null;
        foreach (var server in SnapshotServers())
        {
            try
            {
                var session = await EstablishAsync(server, cancellationToken).ConfigureAwait(false);
                Activate(session);
                SinkLog.Connected(_logger, server.Display, session.Info.ServerName ?? session.Info.ServerId, session.Info.Version);
                _supervisor = SuperviseAsync(session);
                return;
            }
            catch (NatsServerErrorException e) when (e.IsAuthorization)
            {
                SetState(NatsConnectionState.Closed, server.Display, e);
                throw;
            }
            catch (Exception e) when (e is NatsException or IOException or SocketException or AuthenticationException or TimeoutException)
            {
                SinkLog.ConnectFailed(_logger, server.Display, e.Message);
                last = e;
            }
        }

        SetState(NatsConnectionState.Disconnected, null, last);
        throw new NatsConnectionException($"could not connect to any of {string.Join(", ", SnapshotServers().Select(s => s.Display))}: {last?.Message}", last);
    }

    /// <summary>Waits until connected (during a reconnect); throws when the connection is closed for good.</summary>
    public Task WaitConnectedAsync(CancellationToken cancellationToken = default)
    {
        Task task;
        lock (_stateLock)
        {
            task = _connected.Task;
        }

        return task.IsCompleted ? task : task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        _disposed.Cancel();
        var session = _session;
        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        if (_supervisor is not null)
        {
            try
            {
                await _supervisor.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        var closed = new NatsConnectionException("connection disposed");
        _mux.FailAll(closed);
        lock (_stateLock)
        {
            _connected.TrySetException(closed);
            _connected.Task.Exception?.Handle(_ => true);
        }

        lock (_subscriptions)
        {
            foreach (var sub in _subscriptions.Values)
            {
                sub.Complete();
            }

            _subscriptions.Clear();
        }

        SetState(NatsConnectionState.Closed, null, null);
        _disposed.Dispose();
    }

    private async Task<NatsSession> EstablishAsync(NatsServerAddress server, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        NatsSession? session = null;
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, timeout.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: false);
            var (info, leftover) = await ReadInfoAsync(stream, timeout.Token).ConfigureAwait(false);
            if (server.Tls || _options.TlsRequired || info.TlsRequired || _options.TlsCaFile is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(TlsSetup.Create(_options, server.Host), timeout.Token).ConfigureAwait(false);
                leftover = default;
            }

            session = new NatsSession(socket, stream, server, info, _options, leftover);
            var handshake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            session.Start(_options.PingInterval, _options.MaxPingsOut, WritePingAsync);
            _ = ReadLoopAsync(session, handshake);
            await WriteHandshakeAsync(session, handshake, server, info, timeout.Token).ConfigureAwait(false);
            await handshake.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            await ResubscribeAsync(session, timeout.Token).ConfigureAwait(false);
            return session;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await Cleanup().ConfigureAwait(false);
            throw new NatsConnectionException($"connecting to {server.Display} timed out after {_options.ConnectTimeout}");
        }
        catch
        {
            await Cleanup().ConfigureAwait(false);
            throw;
        }

        async Task Cleanup()
        {
            if (session is not null)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }

                socket.Dispose();
            }
        }
    }

    /// <summary>Reads the INFO line straight from the socket (TLS, if any, starts after it).</summary>
    private static async Task<(ServerInfo Info, ReadOnlyMemory<byte> Leftover)> ReadInfoAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[ProtocolParser.MaxInfoLine];
        var filled = 0;
        while (true)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new NatsConnectionException("the server closed the connection before sending INFO");
            }

            filled += read;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n"u8);
            if (end < 0)
            {
                if (filled == buffer.Length)
                {
                    throw new NatsProtocolException($"INFO longer than {buffer.Length} bytes");
                }

                continue;
            }

            var line = buffer.AsSpan(0, end);
            if (!line.StartsWith("INFO "u8))
            {
                throw new NatsProtocolException($"expected INFO, got '{Encoding.ASCII.GetString(line[..Math.Min(line.Length, 40)])}'");
            }

            var info = JsonSerializer.Deserialize(line[5..], NatsJsonContext.Default.ServerInfo)
                ?? throw new NatsProtocolException("empty INFO");
            return (info, buffer.AsMemory(end + 2, filled - end - 2));
        }
    }

    private async Task WriteHandshakeAsync(NatsSession session, TaskCompletionSource handshake, NatsServerAddress server, ServerInfo info, CancellationToken cancellationToken)
    {
        var token = server.Token ?? _options.Token;
        var user = server.User ?? _options.User;
        var connect = new ConnectMessage
        {
            Name = _options.Name,
            TlsRequired = info.TlsRequired || server.Tls || _options.TlsRequired,
            User = token is null ? user : null,
            Pass = token is null && user is not null ? server.Password ?? _options.Password : null,
            AuthToken = token,
            Version = typeof(NatsConnection).Assembly.GetName().Version?.ToString(3) ?? "1.0.0",
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(connect, NatsJsonContext.Default.ConnectMessage);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ProtocolWriter.WriteConnect(session.Output, json);
            session.ExpectPong(handshake);
            ProtocolWriter.WritePing(session.Output);
            await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void Activate(NatsSession session)
    {
        _session = session;
        Interlocked.Increment(ref _sessionId);
        AddDiscovered(session.Info);
        lock (_stateLock)
        {
            _connected.TrySetResult();
        }

        SetState(NatsConnectionState.Connected, session.Server.Display, null);
    }

    /// <summary>Waits for the session to end, then reconnects until it succeeds or attempts run out.</summary>
    private async Task SuperviseAsync(NatsSession session)
    {
        while (true)
        {
            var reason = await session.Ended.ConfigureAwait(false);
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            lock (_stateLock)
            {
                if (_connected.Task.IsCompleted)
                {
                    _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            SinkLog.Disconnected(_logger, session.Server.Display, reason.Message);
            SetState(NatsConnectionState.Reconnecting, session.Server.Display, reason);
            _mux.FailAll(new NatsConnectionException($"connection to {session.Server.Display} lost: {reason.Message}", reason));
            await session.DisposeAsync().ConfigureAwait(false);

            var next = await ReconnectAsync().ConfigureAwait(false);
            if (next is null)
            {
                return;
            }

            session = next;
        }
    }

    private async Task<NatsSession?> ReconnectAsync()
    {
        var round = 0;
        while (!_disposed.IsCancellationRequested)
        {
            var servers = SnapshotServers();
            for (var i = 0; i < servers.Count && !_disposed.IsCancellationRequested; i++)
            {
                // Start after the server we were on, so a dead server is tried last.
                var server = servers[(_serverCursor + 1 + i) % servers.Count];
                try
                {
                    var session = await EstablishAsync(server, _disposed.Token).ConfigureAwait(false);
                    _serverCursor = (_serverCursor + 1 + i) % servers.Count;
                    Activate(session);
                    SinkLog.Reconnected(_logger, server.Display, round + 1);
                    return session;
                }
                catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
                {
                    return null;
                }
                catch (Exception e) when (e is NatsException or IOException or SocketException or AuthenticationException or TimeoutException or OperationCanceledException)
                {
                    SinkLog.ReconnectFailed(_logger, server.Display, round + 1, e.Message);
                }
            }

            round++;
            if (_options.MaxReconnectAttempts >= 0 && round >= _options.MaxReconnectAttempts)
            {
                var error = new NatsConnectionException($"gave up reconnecting after {round} rounds");
                lock (_stateLock)
                {
                    _connected.TrySetException(error);
                    _connected.Task.Exception?.Handle(_ => true);
                }

                SetState(NatsConnectionState.Closed, null, error);
                return null;
            }

            try
            {
                await Task.Delay(Backoff.Delay(round, _options.ReconnectWaitMin, _options.ReconnectWaitMax, _options.ReconnectJitter), _disposed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        return null;
    }

    private void AddDiscovered(ServerInfo info)
    {
        if (!_options.DiscoverServers || info.ConnectUrls is null)
        {
            return;
        }

        var added = 0;
        lock (_servers)
        {
            foreach (var url in info.ConnectUrls)
            {
                NatsServerAddress address;
                try
                {
                    address = NatsServerAddress.Parse(url);
                }
                catch (SinkConfigurationException)
                {
                    continue;
                }

                if (!_servers.Any(s => string.Equals(s.Host, address.Host, StringComparison.OrdinalIgnoreCase) && s.Port == address.Port))
                {
                    // Discovered servers keep the seed's scheme (TLS stays TLS).
                    _servers.Add(address with { Tls = _servers[0].Tls });
                    added++;
                }
            }
        }

        if (added > 0)
        {
            SinkLog.ServersDiscovered(_logger, added, string.Join(", ", KnownServers));
        }
    }

    private List<NatsServerAddress> SnapshotServers()
    {
        lock (_servers)
        {
            return [.. _servers];
        }
    }

    private void SetState(NatsConnectionState state, string? server, Exception? error)
    {
        NatsConnectionState previous;
        lock (_stateLock)
        {
            previous = _state;
            if (previous == state)
            {
                return;
            }

            _state = state;
        }

        StateChanged?.Invoke(this, new NatsConnectionStateChangedEventArgs(previous, state, server, error));
    }
}
