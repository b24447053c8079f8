using System.Globalization;
using Cdc.Bench.NpgsqlBaseline;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

// The baseline a user would write in an afternoon: Npgsql's own pgoutput decoder, default
// connection settings, every value read as text, every commit confirmed at once. Exits when a
// commit at or past --end-lsn has been confirmed and prints one JSON line with what it saw.
BaselineOptions options;
try
{
    options = BaselineOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("npgsql-baseline: " + e.Message);
    return 2;
}

using var cts = new CancellationTokenSource();
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cts.Cancel(); });
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

var latency = options.RecordLatency ? new LatencyRecorder() : null;
long changes = 0, transactions = 0, valueChars = 0;
var reached = false;
await using (var connection = new LogicalReplicationConnection(options.Connection))
{
    await connection.Open(cts.Token);
    var slot = new PgOutputReplicationSlot(options.Slot);
    var replicationOptions = new PgOutputReplicationOptions(options.Publication, PgOutputProtocolVersion.V1);
    try
    {
        await foreach (var message in connection.StartReplication(slot, replicationOptions, cts.Token))
        {
            switch (message)
            {
                case InsertMessage insert:
                    changes++;
                    valueChars += await ReadAll(insert.NewRow, cts.Token);
                    break;
                case UpdateMessage update:
                    changes++;
                    valueChars += await ReadAll(update.NewRow, cts.Token);
                    break;
                case DeleteMessage:
                    changes++;
                    break;
                case CommitMessage commit:
                    transactions++;
                    latency?.Record(commit.TransactionCommitTimestamp);
                    connection.SetReplicationStatus(commit.TransactionEndLsn);
                    await connection.SendStatusUpdate(cts.Token);
                    if (commit.TransactionEndLsn >= options.EndLsn)
                    {
                        reached = true;
                    }

                    break;
            }

            if (reached)
            {
                break;
            }
        }
    }
    catch (OperationCanceledException) when (cts.IsCancellationRequested)
    {
    }
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"reached\":{(reached ? "true" : "false")},\"changes\":{changes},\"transactions\":{transactions},\"value_chars\":{valueChars}{(latency is null ? "" : "," + latency.ToJsonFields())}}}"));
return reached ? 0 : 1;

// Reads every column as a string, as an application mapping rows to objects would.
static async ValueTask<long> ReadAll(ReplicationTuple row, CancellationToken ct)
{
    long chars = 0;
    await foreach (var value in row)
    {
        if (value.IsDBNull || value.IsUnchangedToastedValue)
        {
            continue;
        }

        chars += (await value.Get<string>(ct)).Length;
    }

    return chars;
}
