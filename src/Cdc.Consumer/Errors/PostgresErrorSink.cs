using Npgsql;

namespace Cdc.Consumer.Errors;

/// <summary>
/// Records failed events in <c>cdc_consumer_errors</c> of the consumer's database, one row per (consumer, stream sequence):
/// recording the same event again (a restart before the cursor moved past it) updates that row.
/// </summary>
public sealed class PostgresErrorSink(NpgsqlDataSource dataSource) : IConsumerErrorSink
{
    private const string InsertSql = """
        INSERT INTO cdc_consumer_errors (consumer, stream_sequence, msg_id, subject, error, status, attempts, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (consumer, stream_sequence) DO UPDATE
        SET error = excluded.error, status = excluded.status, attempts = cdc_consumer_errors.attempts + excluded.attempts
        """;

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
    private bool _schemaReady;

    public async ValueTask RecordAsync(ConsumerError error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (!_schemaReady)
        {
            await CdcConsumerSchema.EnsureAsync(_dataSource, cancellationToken).ConfigureAwait(false);
            _schemaReady = true;
        }

        await using var command = _dataSource.CreateCommand(InsertSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error.Consumer });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = checked((long)error.StreamSequence) });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)error.MessageId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error.Subject });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error.Error });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error.Status == ConsumerErrorStatus.Skipped ? "skipped" : "stopped" });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = error.Attempts });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = error.CreatedAt.ToUniversalTime() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
