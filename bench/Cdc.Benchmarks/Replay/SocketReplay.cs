using System.Buffers;
using Cdc.Decoding;
using Npgsql.Replication;
using Npgsql.Replication.Internal;

namespace Cdc.Benchmarks.Replay;

/// <summary>
/// Our decoder behind Npgsql's raw XLogData stream, as the listener's ReplicationSession reads it: each message's
/// <c>Data</c> copied out (valid only until the next message), then Append and Decode.
/// </summary>
public static class SocketReplay
{
    public static async Task RunAsync(string connectionString, int transactions, IChangeHandler handler, CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            await using var connection = new LogicalReplicationConnection(connectionString);
            await connection.Open(cancellationToken).ConfigureAwait(false);
            using var assembler = new TransactionAssembler(InMemoryReplay.Options);
            var decoder = new ChangeDecoder(InMemoryReplay.Options);
            // Only the slot name and plugin are used: the raw XLogData path never touches Npgsql's decoder.
            var slot = new Npgsql.Replication.PgOutput.PgOutputReplicationSlot("bench");
            var committed = 0;
            await foreach (var message in connection.StartLogicalReplication(slot, cancellationToken, null,
                               [new("proto_version", "1"), new("publication_names", "bench")], bypassingStream: false).ConfigureAwait(false))
            {
                var length = checked((int)message.Data.Length);
                if (length > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(length);
                }

                // A ReadAsync loop as ReplicationSession has: usually one call, completed synchronously from Npgsql's buffer.
                for (var read = 0; read < length;)
                {
                    var n = await message.Data.ReadAsync(buffer.AsMemory(read, length - read), cancellationToken).ConfigureAwait(false);
                    read += n > 0 ? n : throw new EndOfStreamException("the replication stream ended inside a message");
                }

                using var transaction = assembler.Append(new ReadOnlySequence<byte>(buffer, 0, length), (ulong)message.WalStart, (ulong)message.WalEnd);
                if (transaction is null)
                {
                    continue;
                }

                decoder.Decode(transaction, handler);
                if (++committed == transactions)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The transport floor: the same raw XLogData stream copied out exactly as <see cref="RunAsync"/> does, with no
    /// decoding (commits are counted by their first byte). What is left of a socket result above this is decoding.
    /// </summary>
    public static async Task<long> RunTransportOnlyAsync(string connectionString, int transactions, CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            await using var connection = new LogicalReplicationConnection(connectionString);
            await connection.Open(cancellationToken).ConfigureAwait(false);
            var slot = new Npgsql.Replication.PgOutput.PgOutputReplicationSlot("bench");
            long bytes = 0;
            var committed = 0;
            await foreach (var message in connection.StartLogicalReplication(slot, cancellationToken, null,
                               [new("proto_version", "1"), new("publication_names", "bench")], bypassingStream: false).ConfigureAwait(false))
            {
                var length = checked((int)message.Data.Length);
                if (length > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(length);
                }

                for (var read = 0; read < length;)
                {
                    var n = await message.Data.ReadAsync(buffer.AsMemory(read, length - read), cancellationToken).ConfigureAwait(false);
                    read += n > 0 ? n : throw new EndOfStreamException("the replication stream ended inside a message");
                }

                bytes += length;
                if (buffer[0] == (byte)'C' && ++committed == transactions)
                {
                    return bytes;
                }
            }

            throw new InvalidOperationException($"the stream ended after {committed} of {transactions} transactions");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
