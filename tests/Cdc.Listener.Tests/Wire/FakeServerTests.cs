using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Replication;
using Cdc.Listener.Replication.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Listener.Tests.Wire;

/// <summary>
/// Faults a real PostgreSQL never produces (corrupt lengths, a close inside a message, a SCRAM exchange cut short) and
/// timings it produces only by chance (a keepalive request racing CopyDone, a failed TLS handshake), played by an
/// in-process server on loopback that logs in with AuthenticationOk and answers START_REPLICATION.
/// </summary>
public sealed class FakeServerTests : IAsyncDisposable
{
    private const int MaxMessageBytes = 1024 * 1024;
    private static readonly TimeSpan ReceiverTimeout = TimeSpan.FromSeconds(1);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));

    public FakeServerTests() => _listener.Start();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Dispose();
        await _timeout.CancelAsync();
        _timeout.Dispose();
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)] // 2 GB
    public async Task CopyData_with_an_impossible_length_is_a_protocol_error_without_buffering_it(int length)
    {
        var server = ServeAsync(streaming: async socket => await SendAsync(socket, Header('d', length)));
        await using var connection = await StreamAsync();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var e = await Assert.ThrowsAsync<PgProtocolException>(async () => await connection.MoveNextAsync(_timeout.Token));

        Assert.Contains($"length {length}", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore < 8 * 1024 * 1024, "the reader allocated for the announced length");
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(MaxMessageBytes + 64 + 5)] // one past the cap
    public async Task XLogData_with_an_impossible_length_is_refused_though_its_header_is_whole(int length)
    {
        // The whole 30-byte prefix is there, so this is what the contiguous hot path sees first.
        var server = ServeAsync(streaming: async socket => await SendAsync(socket, [.. Header('d', length), (byte)'w', .. new byte[24]]));
        await using var connection = await StreamAsync();

        var e = await Assert.ThrowsAsync<PgProtocolException>(async () => await connection.MoveNextAsync(_timeout.Token));

        Assert.Contains($"length {length}", e.Message, StringComparison.Ordinal);
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Fact]
    public async Task XLogData_shorter_than_its_header_is_a_protocol_error()
    {
        var server = ServeAsync(streaming: async socket => await SendAsync(socket,
            [.. Header('d', 4 + 16), (byte)'w', .. new byte[15], .. XLogData(0x10, "Bxyz"u8.ToArray())]));
        await using var connection = await StreamAsync();

        var e = await Assert.ThrowsAsync<PgProtocolException>(async () => await connection.MoveNextAsync(_timeout.Token));

        Assert.Contains("XLogData message of 16 bytes, shorter than its 25-byte header", e.Message, StringComparison.Ordinal);
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Fact]
    public async Task XLogData_without_data_arrives_empty_for_the_decoder_to_refuse()
    {
        var server = ServeAsync(streaming: async socket =>
        {
            await SendAsync(socket, [.. XLogData(0x10, []), .. XLogData(0x20, "C"u8.ToArray())]);
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var connection = await StreamAsync();

        Assert.True(await connection.MoveNextAsync(_timeout.Token));
        Assert.Equal(0x10UL, connection.Current.WalStart);
        Assert.True(connection.Current.Data.IsEmpty);
        Assert.True(await connection.MoveNextAsync(_timeout.Token));
        Assert.Equal("C"u8.ToArray(), connection.Current.Data.ToArray());
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Fact]
    public async Task Close_inside_a_message_is_a_protocol_error()
    {
        var server = ServeAsync(streaming: async socket =>
        {
            await SendAsync(socket, [.. Header('d', 4 + 100), .. new byte[10]]);
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var connection = await StreamAsync();

        var e = await Assert.ThrowsAsync<PgProtocolException>(async () => await connection.MoveNextAsync(_timeout.Token));

        Assert.Contains("closed the connection inside a message", e.Message, StringComparison.Ordinal);
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Fact]
    public async Task Messages_across_read_buffer_segments_arrive_whole_and_in_order()
    {
        // Sizes that straddle the read buffer's segment borders, one larger than a segment (256 KiB), keepalives between.
        var messages = Enumerable.Range(0, 60)
            .Select(i => (Lsn: 0x1000UL + (ulong)i, Data: Enumerable.Range(0, i == 30 ? 300_000 : 1 + i * 997).Select(b => (byte)(b * 31 + i)).ToArray()))
            .ToList();
        var stream = messages.SelectMany((m, i) =>
        {
            var message = XLogData(m.Lsn, m.Data, walEnd: m.Lsn + 0x10, clock: 1000 + i);
            return i % 7 == 0 ? [.. Keepalive(m.Lsn, replyRequested: false), .. message] : message;
        }).ToArray();
        var server = ServeAsync(streaming: async socket =>
        {
            await SendAsync(socket, stream);
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var connection = await StreamAsync();

        var split = 0;
        foreach (var (index, (lsn, data)) in messages.Index())
        {
            Assert.True(await connection.MoveNextAsync(_timeout.Token));
            var current = connection.Current;
            Assert.Equal(lsn, current.WalStart);
            Assert.Equal(lsn + 0x10, current.WalEnd);
            Assert.Equal(1000 + index, current.ServerClockMicros);
            Assert.Equal(lsn + 0x10, connection.LastReceivedLsn);
            Assert.Equal(data, current.Data.ToArray());
            if (current.Bytes.TryGetMemory(out var memory))
            {
                Assert.Equal(data, memory.ToArray());
            }
            else
            {
                split++;
            }
        }

        Assert.InRange(split, 1, messages.Count - 1); // both whole and split messages came through
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await connection.MoveNextAsync(_timeout.Token));
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Fact]
    public async Task Close_between_messages_is_end_of_stream()
    {
        var server = ServeAsync(streaming: async socket =>
        {
            await SendAsync(socket, XLogData(0x10, [(byte)'B']));
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var connection = await StreamAsync();

        Assert.True(await connection.MoveNextAsync(_timeout.Token));
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await connection.MoveNextAsync(_timeout.Token));
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Fact]
    public async Task Messages_dribbled_one_byte_at_a_time_arrive_whole_and_keepalive_requests_are_answered()
    {
        byte[] stream = [.. XLogData(0x100, "Bxyz"u8.ToArray()), .. Keepalive(0x500, replyRequested: true), .. XLogData(0x200, "C"u8.ToArray())];
        var reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = ServeAsync(streaming: async socket =>
        {
            foreach (var b in stream)
            {
                await SendAsync(socket, [b]);
            }

            reply.SetResult(await ReceiveAsync(socket, FrontendMessages.StandbyStatusUpdateSize));
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var connection = await StreamAsync();

        Assert.True(await connection.MoveNextAsync(_timeout.Token));
        Assert.Equal(0x100UL, connection.Current.WalStart);
        Assert.Equal("Bxyz"u8.ToArray(), connection.Current.Data.ToArray());
        Assert.True(await connection.MoveNextAsync(_timeout.Token));
        Assert.Equal("C"u8.ToArray(), connection.Current.Data.ToArray());
        Assert.Equal(0x500UL, connection.LastReceivedLsn);

        // The keepalive asked for a reply: it is sent before the next wait for the server.
        var next = connection.MoveNextAsync(_timeout.Token);
        var update = await reply.Task.WaitAsync(_timeout.Token);
        Assert.Equal((byte)'d', update[0]);
        Assert.Equal((byte)'r', update[5]);
        Assert.Equal(0x500UL, BinaryPrimitives.ReadUInt64BigEndian(update.AsSpan(6)));
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await next);
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Fact]
    public async Task EndReplicationAsync_sends_nothing_but_CopyDone_and_Terminate_though_a_status_update_is_due_and_a_keepalive_asks_for_a_reply()
    {
        var server = ServeAsync(streaming: async socket =>
        {
            // Status updates before CopyDone are what the 20 ms interval asks for.
            while ((await ReceiveMessageAsync(socket))[0] != (byte)'c')
            {
            }

            // A keepalive the server sent before it read CopyDone, then a while before it answers: the window in which
            // a timer tick or a keepalive reply would put a CopyData after the client's CopyDone.
            await SendAsync(socket, Keepalive(0x500, replyRequested: true));
            await Task.Delay(TimeSpan.FromMilliseconds(300), _timeout.Token);
            await SendAsync(socket, [.. Typed('c', []), .. Typed('C', "START_STREAMING\0"u8.ToArray()), .. Typed('Z', "I"u8.ToArray())]);
        });
        var connection = await StreamAsync(c => c.StatusInterval = TimeSpan.FromMilliseconds(20));

        await connection.EndReplicationAsync(_timeout.Token);
        await connection.SendStatusUpdateAsync(0x900, _timeout.Token);
        await connection.DisposeAsync();

        Assert.Equal(Messages(Typed('X', [])), Messages(await server));
    }

    [Fact]
    public async Task SendStatusUpdateAsync_before_StartLogicalReplicationAsync_writes_nothing()
    {
        var server = AcceptAsync(async socket =>
        {
            await LoginAsync(socket);
            return await ReceiveUntilClosedAsync(socket);
        });
        var connection = await PgReplicationConnection.OpenAsync(Settings(), MaxMessageBytes, NullLogger.Instance, _timeout.Token);

        await connection.SendStatusUpdateAsync(0x900, _timeout.Token);
        await connection.DisposeAsync();

        Assert.Equal(Messages(Typed('X', [])), Messages(await server));
    }

    [Fact]
    public async Task Receiver_timeout_stays_quiet_while_keepalives_arrive_and_fires_when_the_server_goes_silent()
    {
        var silent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = ServeAsync(streaming: socket => KeepalivesUntilAsync(socket, silent.Task));
        await using var connection = await StreamAsync(ShortReceiverTimeout);

        // Keepalives end no MoveNextAsync: one call waits the whole 3 s, through 30 keepalives and 30 checks.
        await AssertReadsUntilCancelledAsync(connection, TimeSpan.FromSeconds(3));

        Assert.True(connection.LastReceivedLsn >= 20, $"only {connection.LastReceivedLsn} keepalives arrived");
        silent.SetResult();
        await AssertTimesOutAsync(connection);
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Fact]
    public async Task Receiver_timeout_check_cancelling_no_waiting_read_is_not_a_timeout_and_keeps_running()
    {
        var silent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = ServeAsync(streaming: socket => KeepalivesUntilAsync(socket, silent.Task));
        await using var connection = await StreamAsync(ShortReceiverTimeout);

        // The caller gives up a read and reads again only after three receiver timeouts: meanwhile the check sees no
        // read and an old receive time and cancels, though the server kept sending. That cancel lands on the next
        // read, as one that races a read which just got data does.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await connection.MoveNextAsync(new CancellationToken(canceled: true)));
        await Task.Delay(3 * ReceiverTimeout, _timeout.Token);
        var before = connection.LastReceivedLsn;
        await AssertReadsUntilCancelledAsync(connection, TimeSpan.FromSeconds(1));

        Assert.True(connection.LastReceivedLsn > before, "the resumed read got no keepalives");
        silent.SetResult();
        await AssertTimesOutAsync(connection);
        await connection.DisposeAsync(); // the server waits for the client to close
        await server;
    }

    [Theory]
    [InlineData("alert")]
    [InlineData("garbage")]
    [InlineData("close")]
    public async Task Prefer_falls_back_to_plain_when_the_TLS_handshake_fails_after_the_server_agreed(string failure)
    {
        var server = ServeTlsThenPlainAsync();
        var connection = await PgReplicationConnection.OpenAsync(Settings() with { SslMode = Npgsql.SslMode.Prefer }, MaxMessageBytes, NullLogger.Instance, _timeout.Token);

        Assert.Equal("15.99", connection.ServerVersion);
        await connection.DisposeAsync();
        Assert.Equal(Messages(Typed('X', [])), Messages(await server));

        async Task<byte[]> ServeTlsThenPlainAsync()
        {
            await AcceptAsync(socket => AgreeToTlsThenFailAsync(socket, failure));
            return await AcceptAsync(async socket =>
            {
                await LoginAsync(socket);
                return await ReceiveUntilClosedAsync(socket);
            });
        }
    }

    [Fact]
    public async Task Require_does_not_fall_back_when_the_TLS_handshake_fails()
    {
        var server = AcceptAsync(socket => AgreeToTlsThenFailAsync(socket, "alert"));

        await Assert.ThrowsAsync<AuthenticationException>(
            () => PgReplicationConnection.OpenAsync(Settings() with { SslMode = Npgsql.SslMode.Require }, MaxMessageBytes, NullLogger.Instance, _timeout.Token));

        await server;
        Assert.False(_listener.Pending(), "Require tried again without TLS");
    }

    [Fact]
    public async Task ReplicationSession_takes_its_status_interval_and_receiver_timeout_from_the_options()
    {
        // A server that goes silent after START_REPLICATION: status updates every 200 ms, then the 1 s receiver timeout.
        var server = ServeAsync(streaming: _ => Task.CompletedTask);
        var session = new ReplicationSession(
            new CdcOptions
            {
                Connection = $"Host=127.0.0.1;Port={Port};Username=cdc;Database=app;SSL Mode=Disable;Passfile=/nonexistent/pgpass",
                StatusInterval = TimeSpan.FromMilliseconds(200),
                ReceiverTimeout = TimeSpan.FromSeconds(1),
            },
            new PgOutputOptions(), NullLogger.Instance);
        await session.OpenAsync(_timeout.Token);
        var streaming = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<TimeoutException>(() => session.StreamAsync(new Pipe().Writer, Lsn.Invalid, _timeout.Token));

        Assert.Contains("sent nothing for 1 s", e.Message, StringComparison.Ordinal);
        Assert.True(streaming.Elapsed < TimeSpan.FromSeconds(20), $"the 1 s timeout fired after {streaming.Elapsed}");
        await session.DisposeAsync();
        var updates = Messages(await server).Count(m => m.StartsWith("dr:", StringComparison.Ordinal));
        Assert.True(updates >= 4, $"{updates} status updates in about a second at a 200 ms interval");
    }

    [Fact]
    public async Task ReplicationSession_whose_stream_broke_closes_at_once_instead_of_ending_gracefully()
    {
        // A CopyData that is neither XLogData nor a keepalive breaks the stream, and the server then says nothing more
        // without closing: a graceful end (CopyDone, then waiting for the server's) would wait out its 5 s.
        var server = ServeAsync(streaming: async socket => await SendAsync(socket, Typed('d', "x"u8.ToArray())));
        var session = new ReplicationSession(
            new CdcOptions { Connection = $"Host=127.0.0.1;Port={Port};Username=cdc;Database=app;SSL Mode=Disable;Passfile=/nonexistent/pgpass" },
            new PgOutputOptions(), NullLogger.Instance);
        await session.OpenAsync(_timeout.Token);
        await Assert.ThrowsAsync<PgProtocolException>(() => session.StreamAsync(new Pipe().Writer, Lsn.Invalid, _timeout.Token));

        var closing = Stopwatch.StartNew();
        await session.DisposeAsync();

        Assert.True(closing.Elapsed < TimeSpan.FromSeconds(1), $"closing the broken session took {closing.ElapsedMilliseconds} ms");
        Assert.Equal(Messages(Typed('X', [])), Messages(await server));
    }

    [Fact]
    public async Task Scram_ended_by_AuthenticationOk_without_the_server_proof_is_refused()
    {
        var server = AcceptAsync(async socket =>
        {
            await ReceiveStartupAsync(socket);
            await SendAsync(socket, Authentication(10, "SCRAM-SHA-256\0\0"u8.ToArray()));
            await ReceiveMessageAsync(socket); // SASLInitialResponse
            await SendAsync(socket, Authentication(0, []));
        });

        var e = await Assert.ThrowsAsync<PgAuthenticationException>(
            () => PgReplicationConnection.OpenAsync(Settings() with { Password = "pw" }, MaxMessageBytes, NullLogger.Instance, _timeout.Token));

        Assert.Contains("did not prove", e.Message, StringComparison.Ordinal);
        await server;
    }

    [Fact]
    public async Task ErrorResponse_during_login_is_the_servers_exception()
    {
        var server = AcceptAsync(async socket =>
        {
            await ReceiveStartupAsync(socket);
            await SendAsync(socket, Typed('E', "SFATAL\0VFATAL\0C3D000\0Mdatabase \"app\" does not exist\0\0"u8.ToArray()));
        });

        var e = await Assert.ThrowsAsync<Npgsql.PostgresException>(
            () => PgReplicationConnection.OpenAsync(Settings(), MaxMessageBytes, NullLogger.Instance, _timeout.Token));

        Assert.Equal("3D000", e.SqlState);
        await server;
    }

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private ReplicationConnectionSettings Settings() => new()
    {
        Endpoints = [("127.0.0.1", Port)],
        User = "cdc",
        Database = "app",
        SslMode = Npgsql.SslMode.Disable,
    };

    private async Task<PgReplicationConnection> StreamAsync(Action<PgReplicationConnection>? configure = null)
    {
        var connection = await PgReplicationConnection.OpenAsync(Settings(), MaxMessageBytes, NullLogger.Instance, _timeout.Token);
        configure?.Invoke(connection);
        await connection.StartLogicalReplicationAsync("slot", 0, [], _timeout.Token);
        return connection;
    }

    /// <summary>
    /// Ten keepalive intervals, checked every 100 ms (a quarter of the status interval). Shorter would also test how
    /// long a busy test host stalls the thread pool (0.7 s seen on two cores).
    /// </summary>
    private static void ShortReceiverTimeout(PgReplicationConnection connection)
    {
        connection.ReceiverTimeout = ReceiverTimeout;
        connection.StatusInterval = TimeSpan.FromMilliseconds(400);
    }

    /// <summary>MoveNextAsync ends only by the caller's cancellation after <paramref name="duration"/>: no receiver timeout.</summary>
    private async Task AssertReadsUntilCancelledAsync(PgReplicationConnection connection, TimeSpan duration)
    {
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        reading.CancelAfter(duration);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await connection.MoveNextAsync(reading.Token));
    }

    /// <summary>The next read fails with the receiver timeout after about that long, well before the test's own deadline.</summary>
    private async Task AssertTimesOutAsync(PgReplicationConnection connection)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        deadline.CancelAfter(5 * ReceiverTimeout);
        var waited = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(async () => await connection.MoveNextAsync(deadline.Token));
        Assert.True(waited.Elapsed >= 0.8 * ReceiverTimeout, $"timed out after {waited.ElapsedMilliseconds} ms of silence");
    }

    /// <summary>A keepalive (no reply requested) every 100 ms, each one LSN further, until <paramref name="silent"/>.</summary>
    private async Task KeepalivesUntilAsync(Socket socket, Task silent)
    {
        for (ulong lsn = 1; !silent.IsCompleted; lsn++)
        {
            await SendAsync(socket, Keepalive(lsn, replyRequested: false));
            await Task.WhenAny(Task.Delay(TimeSpan.FromMilliseconds(100), _timeout.Token), silent);
        }
    }

    /// <summary>Answers the SSLRequest with 'S', then fails the handshake: a fatal TLS alert, non-TLS bytes or a close.</summary>
    private async Task AgreeToTlsThenFailAsync(Socket socket, string failure)
    {
        var request = await ReceiveAsync(socket, 8);
        Assert.Equal(80877103, BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(4)));
        await SendAsync(socket, "S"u8.ToArray());
        var hello = await ReceiveAsync(socket, 5);
        Assert.Equal(0x16, hello[0]); // a TLS handshake record: the ClientHello
        switch (failure)
        {
            case "alert":
                await SendAsync(socket, [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]); // fatal handshake_failure
                break;
            case "garbage":
                await SendAsync(socket, "this is not TLS\n"u8.ToArray());
                break;
        }

        socket.Shutdown(SocketShutdown.Both);
    }

    /// <summary>Logs the client in, answers its START_REPLICATION with CopyBothResponse, then runs <paramref name="streaming"/>.</summary>
    /// <returns>What the client sent after <paramref name="streaming"/> until it closed.</returns>
    private Task<byte[]> ServeAsync(Func<Socket, Task> streaming) => AcceptAsync(async socket =>
    {
        await LoginAsync(socket);
        var query = await ReceiveMessageAsync(socket);
        Assert.Equal((byte)'Q', query[0]);
        await SendAsync(socket, Typed('W', [0, 0, 0]));
        await streaming(socket);
        return await ReceiveUntilClosedAsync(socket);
    });

    /// <summary>A plain (protocol 3.0) startup answered with AuthenticationOk, server_version and ReadyForQuery.</summary>
    private async Task LoginAsync(Socket socket)
    {
        Assert.Equal(196608, await ReceiveStartupAsync(socket));
        await SendAsync(socket, [.. Authentication(0, []), .. Typed('S', "server_version\015.99\0"u8.ToArray()), .. Typed('Z', "I"u8.ToArray())]);
    }

    /// <summary>Waits for the client to close (Terminate, then FIN), so the test sees its own outcome, not a reset.</summary>
    private async Task<byte[]> ReceiveUntilClosedAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, _timeout.Token)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, read));
        }

        return [.. received];
    }

    private async Task AcceptAsync(Func<Socket, Task> serve)
    {
        using var socket = await _listener.AcceptSocketAsync(_timeout.Token);
        await serve(socket);
    }

    private async Task<T> AcceptAsync<T>(Func<Socket, Task<T>> serve)
    {
        using var socket = await _listener.AcceptSocketAsync(_timeout.Token);
        return await serve(socket);
    }

    /// <returns>The protocol version (or request code) the startup packet carries.</returns>
    private async Task<int> ReceiveStartupAsync(Socket socket)
    {
        var length = BinaryPrimitives.ReadInt32BigEndian(await ReceiveAsync(socket, 4));
        var body = await ReceiveAsync(socket, length - 4);
        return BinaryPrimitives.ReadInt32BigEndian(body);
    }

    /// <summary>Frontend messages as "code:length" (CopyData also with its first body byte), for readable assertions.</summary>
    private static List<string> Messages(byte[] bytes)
    {
        var messages = new List<string>();
        for (var at = 0; at + 5 <= bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at + 1));
            var code = (char)bytes[at];
            messages.Add(code == 'd' && at + 5 < bytes.Length ? $"d{(char)bytes[at + 5]}:{length}" : $"{code}:{length}");
            at += 1 + length;
        }

        return messages;
    }

    private async Task<byte[]> ReceiveMessageAsync(Socket socket)
    {
        var header = await ReceiveAsync(socket, 5);
        return [.. header, .. await ReceiveAsync(socket, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4)];
    }

    private async Task<byte[]> ReceiveAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        for (var read = 0; read < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, _timeout.Token);
            if (n == 0)
            {
                throw new EndOfStreamException("the client closed");
            }

            read += n;
        }

        return buffer;
    }

    private async Task SendAsync(Socket socket, byte[] bytes) => await socket.SendAsync(bytes, SocketFlags.None, _timeout.Token);

    private static byte[] Header(char code, int length) => [(byte)code, .. Be32(length)];

    private static byte[] Typed(char code, byte[] body) => [.. Header(code, 4 + body.Length), .. body];

    private static byte[] Authentication(int request, byte[] data) => Typed('R', [.. Be32(request), .. data]);

    private static byte[] Keepalive(ulong walEnd, bool replyRequested) => Typed('d', [(byte)'k', .. Be64(walEnd), .. Be64(0), replyRequested ? (byte)1 : (byte)0]);

    private static byte[] XLogData(ulong walStart, byte[] data, ulong? walEnd = null, long clock = 0)
        => Typed('d', [(byte)'w', .. Be64(walStart), .. Be64(walEnd ?? walStart), .. Be64((ulong)clock), .. data]);

    private static byte[] Be32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Be64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }
}
