using System.Globalization;
using Cdc.Bench.NpgsqlBaseline;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

// The baseline a user would write in an afternoon: Npgsql's own pgoutput decoder, default
// connection settings, every value read as text, every commit confirmed at once. Exits when a
// commit at or past --end-lsn has been confirmed (or, without it, on SIGTERM) and prints one JSON
// line with what it saw. The bench harness runs it without --end-lsn and stops it once the slot has
// the end LSN: exiting right after the last status update can lose that update (the socket is
// reset while the walsender is still busy, e.g. removing a big transaction's spill files).
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
                    if (options.EndLsn is { } end && commit.TransactionEndLsn >= end)
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
return reached || options.EndLsn is null ? 0 : 1;

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
