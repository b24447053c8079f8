using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Cdc.Decoding;

namespace Cdc.Benchmarks.Replay;

/// <summary>
/// A measuring prototype, not the listener's code: our decoder behind a minimal replication client of our own
/// (socket into a <see cref="PipeReader"/>, CopyData 'w' frames parsed in place and handed to Append without an
/// intermediate copy), to show what the listener could reach without Npgsql's per-message transport. It speaks
/// only what the fake server needs (trust startup, START_REPLICATION, no keepalives, no status updates).
/// </summary>
public static class OwnTransportReplay
{
    private const int BufferSize = 1 << 20;

    public static async Task RunAsync(int port, int transactions, IChangeHandler handler, CancellationToken cancellationToken = default)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: BufferSize, minimumReadSize: BufferSize / 4, leaveOpen: true));
        await stream.WriteAsync(Startup(), cancellationToken).ConfigureAwait(false);

        using var assembler = new TransactionAssembler(InMemoryReplay.Options);
        var decoder = new ChangeDecoder(InMemoryReplay.Options);
        var committed = 0;
        var streaming = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                var sendQuery = false;
                try
                {
                    while (TryReadMessage(ref buffer, out var type, out var body))
                    {
                        switch (type)
                        {
                            case (byte)'d' when streaming:
                                if (Deliver(body, assembler, decoder, handler) && ++committed == transactions)
                                {
                                    await stream.WriteAsync(new byte[] { (byte)'X', 0, 0, 0, 4 }, cancellationToken).ConfigureAwait(false);
                                    return;
                                }

                                break;
                            case (byte)'Z' when !streaming:
                                sendQuery = true;
                                break;
                            case (byte)'W':
                                streaming = true;
                                break;
                            case (byte)'E':
                                throw new InvalidOperationException("server error: " + Encoding.UTF8.GetString(body.ToArray()));
                        }
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (sendQuery)
                {
                    await stream.WriteAsync(Query("START_REPLICATION SLOT bench LOGICAL 0/0 (proto_version '1', publication_names 'bench')"),
                        cancellationToken).ConfigureAwait(false);
                }

                if (result.IsCompleted)
                {
                    throw new EndOfStreamException($"the server closed after {committed} of {transactions} transactions");
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>XLogData: 'w', walStart, walEnd, sendTime, then the pgoutput message, appended straight from the pipe's memory.</summary>
    private static bool Deliver(ReadOnlySequence<byte> body, TransactionAssembler assembler, ChangeDecoder decoder, IChangeHandler handler)
    {
        Span<byte> header = stackalloc byte[25];
        if (body.Length < header.Length)
        {
            throw new InvalidDataException("CopyData shorter than an XLogData header");
        }

        body.Slice(0, header.Length).CopyTo(header);
        if (header[0] != (byte)'w')
        {
            return false;
        }

        var walStart = BinaryPrimitives.ReadUInt64BigEndian(header[1..]);
        var walEnd = BinaryPrimitives.ReadUInt64BigEndian(header[9..]);
        using var transaction = assembler.Append(body.Slice(header.Length), walStart, walEnd);
        if (transaction is null)
        {
            return false;
        }

        decoder.Decode(transaction, handler);
        return true;
    }

    private static bool TryReadMessage(ref ReadOnlySequence<byte> buffer, out byte type, out ReadOnlySequence<byte> body)
    {
        type = 0;
        body = default;
        if (buffer.Length < 5)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        var length = BinaryPrimitives.ReadInt32BigEndian(header[1..]);
        if (length < 4)
        {
            throw new InvalidDataException($"backend message of length {length}");
        }

        if (buffer.Length < 1L + length)
        {
            return false;
        }

        type = header[0];
        body = buffer.Slice(5, length - 4);
        buffer = buffer.Slice(1L + length);
        return true;
    }

    private static byte[] Startup()
    {
        var parameters = Encoding.UTF8.GetBytes("user\0bench\0database\0bench\0replication\0database\0\0");
        var message = new byte[8 + parameters.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), 3 << 16);
        parameters.CopyTo(message, 8);
        return message;
    }

    private static byte[] Query(string sql)
    {
        var text = Encoding.UTF8.GetBytes(sql + "\0");
        var message = new byte[5 + text.Length];
        message[0] = (byte)'Q';
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + text.Length);
        text.CopyTo(message, 5);
        return message;
    }
}
