using Npgsql;

namespace Cdc.Consumer;

/// <summary>The consumer's own tables in its PostgreSQL database: cursors and recorded handler errors.</summary>
public static class CdcConsumerSchema
{
    /// <summary>DDL of both tables (idempotent), for migrations that prefer to own it.</summary>
    public const string CreateTablesSql = """
        CREATE TABLE IF NOT EXISTS cdc_consumer_cursors (
            consumer text PRIMARY KEY,
            stream_sequence bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS cdc_consumer_errors (
            consumer text NOT NULL,
            stream_sequence bigint NOT NULL,
            msg_id text,
            subject text NOT NULL,
            error text NOT NULL,
            status text NOT NULL,
            attempts integer NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, stream_sequence)
        );
        """;

    /// <summary>Creates the tables when missing.</summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var command = dataSource.CreateCommand(CreateTablesSql);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
        {
            // Two consumers created the tables at once: CREATE TABLE IF NOT EXISTS is not atomic against itself.
        }
    }
}
