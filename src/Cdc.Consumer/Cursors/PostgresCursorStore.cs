using Cdc.Consumer.Events;
using Npgsql;

namespace Cdc.Consumer.Cursors;

/// <summary>
/// The cursor lives in <c>cdc_consumer_cursors</c> of the consumer's own database and is written in the same transaction as
/// the handler's effects (the handler gets the connection and transaction): a crash anywhere leaves either both or
/// neither, so effects happen exactly once. A second instance of the same consumer cannot apply an event twice: the
/// cursor only moves forward, and a unit that would not move it is rolled back with <see cref="CdcCursorConflictException"/>.
/// </summary>
public sealed class PostgresCursorStore(NpgsqlDataSource dataSource) : ICursorStore
{
    private const string LoadSql = "SELECT stream_sequence FROM cdc_consumer_cursors WHERE consumer = $1";

    private const string SaveSql = """
        INSERT INTO cdc_consumer_cursors (consumer, stream_sequence, updated_at) VALUES ($1, $2, now())
        ON CONFLICT (consumer) DO UPDATE SET stream_sequence = excluded.stream_sequence, updated_at = excluded.updated_at
        WHERE cdc_consumer_cursors.stream_sequence < excluded.stream_sequence
        """;

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
    private bool _schemaReady;

    public async ValueTask<ulong> LoadAsync(string consumer, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand(LoadSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is long sequence ? (ulong)sequence : 0;
    }

    public async ValueTask<ICursorUnit> BeginAsync(string consumer, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            return new TransactionUnit(consumer, connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>Writes the cursor in <paramref name="transaction"/>; false when it would not move forward.</summary>
    internal static async Task<bool> SaveAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string consumer, ulong sequence, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(SaveSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = checked((long)sequence) });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private async ValueTask EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (!_schemaReady)
        {
            await CdcConsumerSchema.EnsureAsync(_dataSource, cancellationToken).ConfigureAwait(false);
            _schemaReady = true;
        }
    }

    private sealed class TransactionUnit(string consumer, NpgsqlConnection connection, NpgsqlTransaction transaction) : ICursorUnit
    {
        public NpgsqlConnection? Connection => connection;

        public NpgsqlTransaction? Transaction => transaction;

        public async ValueTask CommitAsync(CdcEvent handled, CancellationToken cancellationToken = default)
        {
            if (!await SaveAsync(connection, transaction, consumer, handled.StreamSequence, cancellationToken).ConfigureAwait(false))
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                throw new CdcCursorConflictException(
                    $"consumer '{consumer}' is already at or past stream sequence {handled.StreamSequence}: another instance is running");
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
