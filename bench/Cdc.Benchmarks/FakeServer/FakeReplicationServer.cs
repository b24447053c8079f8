using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Cdc.Benchmarks.Capture;

namespace Cdc.Benchmarks.FakeServer;

/// <summary>
/// Just enough of a PostgreSQL server on 127.0.0.1 for a replication client to stream captured XLogData: trust
/// startup (SSL and GSS encryption refused), ParameterStatus of a PostgreSQL 15, and for <c>START_REPLICATION</c>
/// a CopyBothResponse followed by every captured message as a CopyData <c>w</c>. It then reads (and ignores) what
/// the client sends until the client ends the copy or disconnects. Every connection gets the whole capture,
/// <c>passes</c> times over (as a long session would carry more of the same traffic).
/// The frames are built once, so serving a connection allocates next to nothing (the benchmarks measure
/// allocations process-wide).
/// </summary>
public sealed class FakeReplicationServer : IAsyncDisposable
{
    private const int SslRequestCode = 80877103;
    private const int GssEncRequestCode = 80877104;
    private const int CancelRequestCode = 80877102;
    private const int MaxStartupBytes = 10_000;
    private const int MaxClientMessageBytes = 1 << 20;

    private readonly byte[] _frames;
    private readonly int _passes;
    private readonly byte[] _startupReply = BuildStartupReply();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _failures;

    public FakeReplicationServer(IReadOnlyList<CapturedMessage> messages, int passes = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        _frames = BuildFrames(messages);
        _passes = passes;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>
    /// No type loading: the fake answers no SQL, and the built-in type list covers every column here. Cancellation
    /// Timeout -1: a benchmark ends its stream by disposing the connection, which cancels the replication; the
    /// client then closes at once instead of waiting 2 s for a cancel reply. Both contenders end the same way.
    /// </summary>
    public string ConnectionString
        => $"Host=127.0.0.1;Port={Port};Username=bench;Database=bench;SSL Mode=Disable;Server Compatibility Mode=NoTypeLoading;Timeout=15;Command Timeout=0;Cancellation Timeout=-1;Read Buffer Size=1048576";

    /// <summary>Connections whose stream failed in the server (a benchmark checks this stays 0).</summary>
    public int Failures => Volatile.Read(ref _failures);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            socket.NoDelay = true;
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            try
            {
                if (!await HandshakeAsync(stream).ConfigureAwait(false))
                {
                    return;
                }

                while (await ReadMessageAsync(stream).ConfigureAwait(false) is { } message)
                {
                    switch (message.Type)
                    {
                        case (byte)'Q' when Encoding.UTF8.GetString(message.Body).StartsWith("START_REPLICATION", StringComparison.Ordinal):
                            await StreamAsync(stream).ConfigureAwait(false);
                            break;
                        case (byte)'Q' when Encoding.UTF8.GetString(message.Body).StartsWith("IDENTIFY_SYSTEM", StringComparison.Ordinal):
                            await stream.WriteAsync(IdentifySystemReply).ConfigureAwait(false);
                            break;
                        case (byte)'Q':
                            await RefuseAsync(stream, Encoding.UTF8.GetString(message.Body).TrimEnd('\0')).ConfigureAwait(false);
                            break;
                        case (byte)'X':
                            return;
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
            {
                // The client closing mid-stream is how a benchmark ends; anything else is counted.
                if (e is InvalidDataException)
                {
                    Interlocked.Increment(ref _failures);
                }
            }
        }
    }

    /// <summary>Startup: refuse SSL/GSS encryption, accept any user with AuthenticationOk.</summary>
    private async Task<bool> HandshakeAsync(NetworkStream stream)
    {
        var header = new byte[8];
        while (true)
        {
            if (!await ReadFullyAsync(stream, header.AsMemory(0, 4)).ConfigureAwait(false))
            {
                return false;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(header);
            if (length < 8 || length > MaxStartupBytes)
            {
                throw new InvalidDataException($"startup packet of {length} bytes");
            }

            var body = new byte[length - 4];
            if (!await ReadFullyAsync(stream, body).ConfigureAwait(false))
            {
                return false;
            }

            var code = BinaryPrimitives.ReadInt32BigEndian(body);
            switch (code)
            {
                case SslRequestCode or GssEncRequestCode:
                    await stream.WriteAsync("N"u8.ToArray()).ConfigureAwait(false);
                    continue;
                case CancelRequestCode:
                    return false;
                case var _ when code >> 16 == 3:
                    await stream.WriteAsync(_startupReply).ConfigureAwait(false);
                    return true;
                default:
                    throw new InvalidDataException($"unsupported protocol {code >> 16}.{code & 0xFFFF}");
            }
        }
    }

    private async Task StreamAsync(NetworkStream stream)
    {
        // CopyBothResponse: overall format text, no columns; then the captured stream in one write.
        await stream.WriteAsync(new byte[] { (byte)'W', 0, 0, 0, 7, 0, 0, 0 }).ConfigureAwait(false);
        for (var pass = 0; pass < _passes; pass++)
        {
            await stream.WriteAsync(_frames).ConfigureAwait(false);
        }

        await stream.FlushAsync().ConfigureAwait(false);

        // Standby status updates are ignored; CopyDone ends the copy as a walsender would.
        while (await ReadMessageAsync(stream).ConfigureAwait(false) is { } message)
        {
            if (message.Type == (byte)'c')
            {
                var end = new MessageWriter();
                end.Begin((byte)'c').End();
                end.Begin((byte)'C').CString("COPY 0").End();
                end.Begin((byte)'Z').Byte((byte)'I').End();
                await stream.WriteAsync(end.ToArray()).ConfigureAwait(false);
                return;
            }

            if (message.Type == (byte)'X')
            {
                throw new IOException("client terminated during replication");
            }
        }
    }

    /// <summary>IDENTIFY_SYSTEM's one row (systemid, timeline, xlogpos, dbname), as a PostgreSQL 15 walsender sends it.</summary>
    private static readonly byte[] IdentifySystemReply = BuildIdentifySystemReply();

    private static byte[] BuildIdentifySystemReply()
    {
        const int Text = 25, Int4 = 23;
        (string Name, int Type, short Length, string Value)[] columns =
            [("systemid", Text, -1, "7300000000000000000"), ("timeline", Int4, 4, "1"), ("xlogpos", Text, -1, "0/1000000"), ("dbname", Text, -1, "bench")];
        var reply = new MessageWriter();
        reply.Begin((byte)'T').Int16((short)columns.Length);
        foreach (var column in columns)
        {
            reply.CString(column.Name).Int32(0).Int16(0).Int32(column.Type).Int16(column.Length).Int32(-1).Int16(0);
        }

        reply.End();
        reply.Begin((byte)'D').Int16((short)columns.Length);
        foreach (var column in columns)
        {
            var bytes = Encoding.UTF8.GetBytes(column.Value);
            reply.Int32(bytes.Length);
            foreach (var b in bytes)
            {
                reply.Byte(b);
            }
        }

        reply.End();
        reply.Begin((byte)'C').CString("IDENTIFY_SYSTEM").End();
        reply.Begin((byte)'Z').Byte((byte)'I').End();
        return reply.ToArray();
    }

    private static async Task RefuseAsync(NetworkStream stream, string query)
    {
        var reply = new MessageWriter();
        reply.Begin((byte)'E').Byte((byte)'S').CString("ERROR").Byte((byte)'C').CString("0A000")
            .Byte((byte)'M').CString("the benchmark's fake server only answers START_REPLICATION, not: " + query).Byte(0).End();
        reply.Begin((byte)'Z').Byte((byte)'I').End();
        await stream.WriteAsync(reply.ToArray()).ConfigureAwait(false);
    }

    private static async Task<(byte Type, byte[] Body)?> ReadMessageAsync(NetworkStream stream)
    {
        var header = new byte[5];
        if (!await ReadFullyAsync(stream, header).ConfigureAwait(false))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (length < 4 || length > MaxClientMessageBytes)
        {
            throw new InvalidDataException($"client message '{(char)header[0]}' of {length} bytes");
        }

        var body = new byte[length - 4];
        return await ReadFullyAsync(stream, body).ConfigureAwait(false) ? (header[0], body) : null;
    }

    private static async Task<bool> ReadFullyAsync(NetworkStream stream, Memory<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..]).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private static byte[] BuildStartupReply()
    {
        var reply = new MessageWriter();
        reply.Begin((byte)'R').Int32(0).End();
        foreach (var (name, value) in new[]
                 {
                     ("server_version", "15.4"), ("server_encoding", "UTF8"), ("client_encoding", "UTF8"), ("DateStyle", "ISO, MDY"),
                     ("integer_datetimes", "on"), ("IntervalStyle", "postgres"), ("standard_conforming_strings", "on"),
                     ("TimeZone", "UTC"), ("is_superuser", "on"), ("session_authorization", "bench"), ("application_name", ""),
                 })
        {
            reply.Begin((byte)'S').CString(name).CString(value).End();
        }

        reply.Begin((byte)'K').Int32(4242).Int32(0x5eed).End();
        reply.Begin((byte)'Z').Byte((byte)'I').End();
        return reply.ToArray();
    }

    /// <summary>CopyData('w', walStart, walEnd, sendTime 0, message) for every captured message, back to back.</summary>
    private static byte[] BuildFrames(IReadOnlyList<CapturedMessage> messages)
    {
        long total = 0;
        foreach (var message in messages)
        {
            total += 1 + 4 + 25 + message.Data.Length;
        }

        var frames = new byte[total];
        var span = frames.AsSpan();
        foreach (var message in messages)
        {
            span[0] = (byte)'d';
            BinaryPrimitives.WriteInt32BigEndian(span[1..], 4 + 25 + message.Data.Length);
            span[5] = (byte)'w';
            BinaryPrimitives.WriteUInt64BigEndian(span[6..], message.WalStart);
            BinaryPrimitives.WriteUInt64BigEndian(span[14..], message.WalEnd);
            BinaryPrimitives.WriteInt64BigEndian(span[22..], 0);
            message.Data.Span.CopyTo(span[30..]);
            span = span[(30 + message.Data.Length)..];
        }

        return frames;
    }
}
