using System.Buffers;
using Cdc.Decoding;
using Npgsql.Replication;
using Npgsql.Replication.Internal;

namespace Cdc.Benchmarks.Replay;

/// <summary>
/// Npgsql's raw XLogData stream (<c>StartLogicalReplication(..., bypassingStream: false)</c>), which the listener
/// used before it had its own connection: kept as the transport floor Npgsql's decoder stands on.
/// </summary>
public static class NpgsqlTransportReplay
{
    /// <summary>
    /// The transport floor: each message's <c>Data</c> copied out with a ReadAsync loop, no decoding (commits are
    /// counted by their first byte).
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
