using Cdc.Consumer;
using Cdc.Consumer.Cursors;
using Cdc.Consumer.Replica;
using NATS.Client.Core;
using Npgsql;

// Usage: Cdc.Consumer.Replica <nats url> <stream> <postgres connection string>
// Runs until killed; a short pause after each effect, inside the transaction, gives a kill time to land mid-transaction.
if (args.Length != 3)
{
    await Console.Error.WriteLineAsync("usage: Cdc.Consumer.Replica <nats url> <stream> <postgres connection string>");
    return 2;
}

await using var dataSource = NpgsqlDataSource.Create(args[2]);
await using var consumer = new CdcConsumer(new CdcConsumerOptions
{
    Nats = new NatsOpts { Url = args[0] },
    Stream = args[1],
    ConsumerName = "replica",
    CursorStore = new PostgresCursorStore(dataSource),
    BatchSize = 64,
});
await Console.Out.WriteLineAsync("running");
await consumer.RunAsync(async (evt, context, ct) =>
{
    await ReplicaApplier.ApplyAsync(evt, context, ct);
    await Task.Delay(1, ct);
});
return 0;
