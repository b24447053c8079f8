using Cdc.Benchmarks.Replay;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace Cdc.Benchmarks.Baseline;

/// <summary>
/// The baseline: Npgsql's built-in pgoutput decoder (StartReplication with PgOutputReplicationOptions), reading
/// every value of every row as its text (<c>Get&lt;string&gt;</c>: the values arrive in text format).
/// </summary>
public static class NpgsqlPgOutputReplay
{
    public static async Task<Tally> RunAsync(string connectionString, int transactions, CancellationToken cancellationToken = default)
    {
        var tally = default(Tally);
        await using var connection = new LogicalReplicationConnection(connectionString);
        await connection.Open(cancellationToken).ConfigureAwait(false);
        var slot = new PgOutputReplicationSlot("bench");
        var options = new PgOutputReplicationOptions("bench", PgOutputProtocolVersion.V1);
        var committed = 0;
        await foreach (var message in connection.StartReplication(slot, options, cancellationToken).ConfigureAwait(false))
        {
            switch (message)
            {
                case InsertMessage insert:
                    tally.Rows++;
                    await ReadAsync(insert.NewRow, cancellationToken).ConfigureAwait(false);
                    break;
                case CommitMessage when ++committed == transactions:
                    return tally;
            }
        }

        throw new InvalidOperationException($"the stream ended after {committed} of {transactions} transactions");

        async Task ReadAsync(ReplicationTuple row, CancellationToken token)
        {
            await foreach (var value in row.ConfigureAwait(false))
            {
                if (value.IsDBNull || value.IsUnchangedToastedValue)
                {
                    tally.Nulls++;
                    continue;
                }

                var text = await value.Get<string>(token).ConfigureAwait(false);
                tally.ValueBytes += text.Length;
            }
        }
    }
}
