using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Cdc.Listener.Replication.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Listener.Tests.Wire;

/// <summary>
/// Faults a real PostgreSQL never produces (corrupt lengths, a close inside a message, a SCRAM exchange cut short),
/// played by an in-process server on loopback that logs in with AuthenticationOk and answers START_REPLICATION.
/// </summary>
public sealed class FakeServerTests : IAsyncDisposable
{
    private const int MaxMessageBytes = 1024 * 1024;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));

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
        byte[] keepalive = [.. Header('d', 4 + 18), (byte)'k', .. Be64(0x500), .. Be64(0), 1];
        byte[] stream = [.. XLogData(0x100, "Bxyz"u8.ToArray()), .. keepalive, .. XLogData(0x200, "C"u8.ToArray())];
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

    private ReplicationConnectionSettings Settings() => new()
    {
        Endpoints = [("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port)],
        User = "cdc",
        Database = "app",
        SslMode = Npgsql.SslMode.Disable,
    };

    private async Task<PgReplicationConnection> StreamAsync()
    {
        var connection = await PgReplicationConnection.OpenAsync(Settings(), MaxMessageBytes, NullLogger.Instance, _timeout.Token);
        await connection.StartLogicalReplicationAsync("slot", 0, [], _timeout.Token);
        return connection;
    }

    /// <summary>Logs the client in, answers its START_REPLICATION with CopyBothResponse, then runs <paramref name="streaming"/>.</summary>
    private Task ServeAsync(Func<Socket, Task> streaming) => AcceptAsync(async socket =>
    {
        await ReceiveStartupAsync(socket);
        await SendAsync(socket, [.. Authentication(0, []), .. Typed('S', "server_version\015.99\0"u8.ToArray()), .. Typed('Z', "I"u8.ToArray())]);
        var query = await ReceiveMessageAsync(socket);
        Assert.Equal((byte)'Q', query[0]);
        await SendAsync(socket, Typed('W', [0, 0, 0]));
        await streaming(socket);

        // Wait for the client to close (Terminate, then FIN) so the test sees its own outcome, not a reset.
        var buffer = new byte[1024];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, _timeout.Token) > 0)
        {
        }
    });

    private async Task AcceptAsync(Func<Socket, Task> serve)
    {
        using var socket = await _listener.AcceptSocketAsync(_timeout.Token);
        await serve(socket);
    }

    private async Task ReceiveStartupAsync(Socket socket)
    {
        var length = BinaryPrimitives.ReadInt32BigEndian(await ReceiveAsync(socket, 4));
        await ReceiveAsync(socket, length - 4);
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

    private static byte[] XLogData(ulong walStart, byte[] data) => Typed('d', [(byte)'w', .. Be64(walStart), .. Be64(walStart), .. Be64(0), .. data]);

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
