using Cdc.Consumer.Events;
using Cdc.V1;
using Npgsql;

namespace Cdc.Consumer.Replica;

/// <summary>
/// Applies change events of table <c>items (id int primary key, value text)</c> to a replica and logs each event's sequence
/// in <c>effects (seq bigint)</c>. Not idempotent on purpose: an insert applied twice fails, and a doubled effect shows in the log.
/// </summary>
public static class ReplicaApplier
{
    public const string CreateTablesSql = "CREATE TABLE items (id int PRIMARY KEY, value text); CREATE TABLE effects (seq bigint NOT NULL)";

    public static async ValueTask ApplyAsync(CdcEvent evt, CdcHandlerContext context, CancellationToken cancellationToken)
    {
        var change = evt is CdcChangeEvent changeEvent
            ? changeEvent.Change
            : throw new InvalidOperationException($"expected a change event at {evt.StreamSequence}, got {evt.GetType().Name}");
        var connection = context.Connection ?? throw new InvalidOperationException("the replica needs PostgresCursorStore");
        var sql = change.Operation switch
        {
            Operation.Insert => "INSERT INTO items (id, value) VALUES ($1, $2)",
            Operation.Update => "UPDATE items SET value = $2 WHERE id = $1",
            _ => "DELETE FROM items WHERE id = $1",
        };
        var row = change.Operation == Operation.Delete ? change.OldRow : change.NewRow;
        await using (var command = new NpgsqlCommand(sql, connection, context.Transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)row[0].Value.Int });
            if (change.Operation != Operation.Delete)
            {
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row[1].Value.Text });
            }

            var rows = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (rows != 1)
            {
                throw new InvalidOperationException($"{change.Operation} of id {row[0].Value.Int} at {evt.StreamSequence} touched {rows} rows");
            }
        }

        await using var log = new NpgsqlCommand("INSERT INTO effects (seq) VALUES ($1)", connection, context.Transaction);
        log.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)evt.StreamSequence });
        await log.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
