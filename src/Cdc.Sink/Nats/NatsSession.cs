using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Cdc.Sink.Nats;

/// <summary>
/// One TCP (or TLS) connection to one server: a receive loop fills the read pipe from the socket, a write
/// loop drains the write pipe into the socket (so many publishes go out in one write), and a ping loop
/// detects a stale connection. The session ends at the first failure; the connection then reconnects
/// with a new session.
/// </summary>
internal sealed class NatsSession : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource<Exception> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<TaskCompletionSource?> _pongWaiters = new();
    private int _pingsOut;

    public NatsSession(Socket socket, Stream stream, NatsServerAddress server, ServerInfo info, NatsOptions options, ReadOnlyMemory<byte> leftover)
    {
        _socket = socket;
        _stream = stream;
        Server = server;
        Info = info;
        var segment = 64 * 1024;
        _input = new Pipe(new PipeOptions(
            pauseWriterThreshold: options.ReadBufferBytes,
            resumeWriterThreshold: options.ReadBufferBytes / 2,
            minimumSegmentSize: segment,
            useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(
            pauseWriterThreshold: options.WriteBufferBytes,
            resumeWriterThreshold: options.WriteBufferBytes / 2,
            minimumSegmentSize: segment,
            useSynchronizationContext: false));
        if (!leftover.IsEmpty)
        {
            _input.Writer.Write(leftover.Span);
        }
    }

    public NatsServerAddress Server { get; }

    public ServerInfo Info { get; set; }

    public PipeReader Input => _input.Reader;

    /// <summary>Only written under the connection's write lock.</summary>
    public PipeWriter Output => _output.Writer;

    public CancellationToken Token => _cts.Token;

    public bool IsOpen => !_ended.Task.IsCompleted;

    /// <summary>Completes with the reason when the session ends.</summary>
    public Task<Exception> Ended => _ended.Task;

    public void Start(TimeSpan pingInterval, int maxPingsOut, Func<NatsSession, CancellationToken, Task> writePing)
    {
        _ = ReceiveLoopAsync();
        _ = WriteLoopAsync();
        _ = PingLoopAsync(pingInterval, maxPingsOut, writePing);
    }

    /// <summary>Makes written bytes visible to the write loop; waits when the pipe is above its pause threshold.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        FlushResult result;
        try
        {
            result = await _output.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new NatsConnectionException("connection closed while writing", e);
        }

        if (result.IsCompleted || result.IsCanceled && !cancellationToken.IsCancellationRequested)
        {
            throw new NatsConnectionException($"connection to {Server} closed while writing", _ended.Task.IsCompleted ? _ended.Task.Result : null);
        }
    }

    /// <summary>Registers interest in the PONG of a PING about to be written (FIFO).</summary>
    public void ExpectPong(TaskCompletionSource? waiter) => _pongWaiters.Enqueue(waiter);

    public void OnPong()
    {
        Volatile.Write(ref _pingsOut, 0);
        if (_pongWaiters.TryDequeue(out var waiter))
        {
            waiter?.TrySetResult();
        }
    }

    /// <summary>Ends the session (once): the reason goes to <see cref="Ended"/>, the socket is closed.</summary>
    public void Fail(Exception reason)
    {
        if (!_ended.TrySetResult(reason))
        {
            return;
        }

        // The loops see the cancellation and complete their pipe ends themselves (pipes are not
        // thread-safe per end); a publisher blocked on backpressure is woken by CancelPendingFlush.
        _cts.Cancel();
        _output.Writer.CancelPendingFlush();
        while (_pongWaiters.TryDequeue(out var waiter))
        {
            waiter?.TrySetException(reason);
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new NatsConnectionException($"connection to {Server} closed"));
        await _stream.DisposeAsync().ConfigureAwait(false);
        _cts.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var memory = _input.Writer.GetMemory(16 * 1024);
                var read = await _stream.ReadAsync(memory, _cts.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    // End of stream: the reader parses what is left (often the -ERR that explains the close) and ends the session.
                    return;
                }

                _input.Writer.Advance(read);
                var flush = await _input.Writer.FlushAsync(_cts.Token).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            Fail(new NatsConnectionException($"reading from {Server} failed: {e.Message}", e));
        }
        finally
        {
            await _input.Writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_cts.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    // Everything written since the last round goes out now: one socket write per segment.
                    foreach (var segment in buffer)
                    {
                        await _stream.WriteAsync(segment, _cts.Token).ConfigureAwait(false);
                    }

                    if (!buffer.IsEmpty && _stream is not NetworkStream)
                    {
                        await _stream.FlushAsync(_cts.Token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }

                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            Fail(new NatsConnectionException($"writing to {Server} failed: {e.Message}", e));
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task PingLoopAsync(TimeSpan interval, int maxPingsOut, Func<NatsSession, CancellationToken, Task> writePing)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_cts.Token).ConfigureAwait(false))
            {
                if (Volatile.Read(ref _pingsOut) >= maxPingsOut)
                {
                    Fail(new NatsConnectionException($"stale connection to {Server}: {maxPingsOut} PINGs unanswered"));
                    return;
                }

                Interlocked.Increment(ref _pingsOut);
                await writePing(this, _cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NatsException e)
        {
            Fail(e);
        }
    }
}
