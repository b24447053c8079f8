using Cdc.Decoding;
using Cdc.Listener.Replication;
using Cdc.Listener.Replication.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Benchmarks.Replay;

/// <summary>
/// Our decoder behind the listener's own replication connection (<see cref="PgReplicationConnection"/>) on one
/// thread: each XLogData message is appended straight from the connection's read buffer, then decoded at commit.
/// </summary>
public static class OwnConnectionReplay
{
    public static async Task RunAsync(string connectionString, int transactions, IChangeHandler handler, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken).ConfigureAwait(false);
        using var assembler = new TransactionAssembler(InMemoryReplay.Options);
        var decoder = new ChangeDecoder(InMemoryReplay.Options);
        var committed = 0;
        while (await connection.MoveNextAsync(cancellationToken).ConfigureAwait(false))
        {
            var message = connection.Current;
            using var transaction = assembler.Append(message.Bytes, message.WalStart, message.WalEnd);
            if (transaction is null)
            {
                continue;
            }

            decoder.Decode(transaction, handler);
            if (++committed == transactions)
            {
                await connection.EndReplicationAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        throw new InvalidOperationException($"the stream ended after {committed} of {transactions} transactions");
    }

    /// <summary>The transport floor: the same connection reading every message, no decoding (commits counted by their first byte).</summary>
    public static async Task<long> RunTransportOnlyAsync(string connectionString, int transactions, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken).ConfigureAwait(false);
        long bytes = 0;
        var committed = 0;
        while (await connection.MoveNextAsync(cancellationToken).ConfigureAwait(false))
        {
            var message = connection.Current;
            var contiguous = message.Bytes.TryGetMemory(out var data);
            var length = message.Bytes.Length;
            if (length == 0)
            {
                throw new InvalidOperationException("an empty XLogData message");
            }

            var type = contiguous ? data.Span[0] : message.Data.First.Span[0];
            bytes += length;
            if (type == (byte)'C' && ++committed == transactions)
            {
                await connection.EndReplicationAsync(cancellationToken).ConfigureAwait(false);
                return bytes;
            }
        }

        throw new InvalidOperationException($"the stream ended after {committed} of {transactions} transactions");
    }

    private static async Task<PgReplicationConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = await PgReplicationConnection.OpenAsync(
            ReplicationConnectionSettings.From(connectionString), InMemoryReplay.Options.MaxMessageBytes, NullLogger.Instance, cancellationToken).ConfigureAwait(false);
        await connection.StartLogicalReplicationAsync("bench", 0,
            [new("proto_version", "1"), new("publication_names", "bench")], cancellationToken).ConfigureAwait(false);
        return connection;
    }
}
