using System.Diagnostics;
using System.Globalization;
using Cdc.Consumer;
using Cdc.Consumer.Cursors;
using Cdc.Consumer.Events;
using Cdc.Consumer.Replica;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;

// Outbox relay and consumer library numbers (issue 15), for docs/benchmarks.md.
// 1. One cdc run drains a WAL backlog of alternating segments: N row inserts into `items`, N Debezium outbox rows,
//    again N rows, N outbox rows; the stream's message count, polled every 20 ms, says when each segment was in.
// 2. The 2N row changes of `items` are read back from the start of the stream by each contender in turn, rounds
//    alternating the order: NATS.Net alone (ordered consumer, raw bytes), the consumer library's ReadAsync (typed
//    events), RunAsync into a no-op handler (cursor written every second), RunAsync into the PostgreSQL replica
//    (cursor in the handler's transaction, one transaction per event; on the first R events only).
var n = Arg("--rows", 50_000);
var rounds = Arg("--rounds", 3);
var replicaEvents = Arg("--replica-events", 2_000); // one commit per event: slow on a busy machine
const string Db = "bench";
const string Stream = "BENCH";
const string Items = "cdc.bench.public.items";

Console.WriteLine($"outbox bench: {n} rows per segment, {rounds} consumer rounds, replica on {replicaEvents} events; {Environment.ProcessorCount} cores, load {Load()}");
await using var pg = await PostgresServer.StartAsync();
await using var nats = await NatsServer.StartAsync();
await pg.CreateDatabaseAsync(Db);
await pg.CreateDatabaseAsync("replica");
await pg.ExecuteAsync("""
    CREATE TABLE items (id int PRIMARY KEY, value text);
    CREATE TABLE outbox (id uuid PRIMARY KEY, aggregatetype varchar(255) NOT NULL, aggregateid varchar(255) NOT NULL,
                         type varchar(255) NOT NULL, payload jsonb, headers jsonb);
    CREATE PROCEDURE fill_items(first int, n int) LANGUAGE plpgsql AS $$
    DECLARE i int := first; BEGIN
      WHILE i < first + n LOOP
        INSERT INTO items SELECT g, 'item ' || g || ' ' || repeat('x', 60) FROM generate_series(i, least(i + 100, first + n) - 1) g;
        COMMIT; i := i + 100;
      END LOOP; END $$;
    CREATE PROCEDURE fill_outbox(first int, n int) LANGUAGE plpgsql AS $$
    DECLARE i int := first; BEGIN
      WHILE i < first + n LOOP
        INSERT INTO outbox SELECT gen_random_uuid(), 'order', (g % 100)::text, 'OrderPlaced',
               jsonb_build_object('order', g, 'note', repeat('x', 60)), NULL
        FROM generate_series(i, least(i + 100, first + n) - 1) g;
        COMMIT; i := i + 100;
      END LOOP; END $$;
    """, Db);
await pg.ExecuteAsync(ReplicaApplier.CreateTablesSql, "replica");

string[] cdcArgs =
[
    "run", "--connection", pg.ConnectionString(Db), "--nats", nats.Url, "--slot", "bench", "--stream", Stream,
    "--subject-prefix", "cdc", "--http", "off", "--set", "Cdc:Outbox:Tables:0=public.outbox", "--set", "Cdc:Snapshot=never",
];
var cdc = CdcProcess.Start(cdcArgs);
await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(90));
cdc.Terminate();
await cdc.WaitForExitAsync(TimeSpan.FromSeconds(30));
await cdc.DisposeAsync();

// The backlog, written while cdc is stopped.
var segments = new[] { "rows", "outbox", "rows", "outbox" };
var clock = Stopwatch.StartNew();
for (var s = 0; s < segments.Length; s++)
{
    var first = 1 + (s / 2) * n;
    await pg.ExecuteAsync($"CALL fill_{(segments[s] == "rows" ? "items" : "outbox")}({first}, {n})", Db);
}

Console.WriteLine($"backlog of {segments.Length * n} inserts written in {clock.Elapsed.TotalSeconds:F1}s");

await using (var connection = new NatsConnection(new NatsOpts { Url = nats.Url }))
{
    var js = new NatsJSContext(connection);
    var initial = (await js.GetStreamAsync(Stream)).Info.State.Messages;
    cdc = CdcProcess.Start(cdcArgs);
    var boundaries = new List<TimeSpan>();
    var expected = (long)initial + 1; // the schema event of items comes before its first row
    long? startedAt = null;
    var watch = Stopwatch.StartNew();
    for (var s = 0; s < segments.Length; s++)
    {
        expected += n;
        while (true)
        {
            var count = (long)(await js.GetStreamAsync(Stream)).Info.State.Messages;
            if (startedAt is null && count > (long)initial)
            {
                startedAt = watch.ElapsedTicks;
                boundaries.Add(watch.Elapsed);
            }

            if (count >= expected)
            {
                boundaries.Add(watch.Elapsed);
                break;
            }

            if (watch.Elapsed > TimeSpan.FromMinutes(10) || cdc.HasExited)
            {
                throw new InvalidOperationException($"segment {s} did not arrive: {count} of {expected}\n{cdc.Output}");
            }

            await Task.Delay(20);
        }
    }

    for (var s = 0; s < segments.Length; s++)
    {
        var seconds = (boundaries[s + 1] - boundaries[s]).TotalSeconds;
        Console.WriteLine($"relay segment {s + 1} {segments[s],-6}: {n / seconds,10:N0} messages/s ({seconds:F2}s)");
    }

    cdc.Terminate();
    await cdc.WaitForExitAsync(TimeSpan.FromSeconds(30));
    await cdc.DisposeAsync();
}

// Consumers.
var total = 2 * n;
string[] contenders = ["nats-net", "read-async", "noop-handler", "replica"];
var results = contenders.ToDictionary(c => c, _ => new List<double>());
await using var replicaSource = NpgsqlDataSource.Create(pg.ConnectionString("replica"));
await using var natsConnection = new NatsConnection(new NatsOpts { Url = nats.Url });
for (var round = 0; round < rounds; round++)
{
    var order = round % 2 == 0 ? contenders : contenders.Reverse().ToArray();
    foreach (var contender in order)
    {
        var events = contender == "replica" ? Math.Min(replicaEvents, total) : total;
        var name = $"{contender.Replace("-", "_", StringComparison.Ordinal)}_{round}";
        var seconds = contender switch
        {
            "nats-net" => await NatsNetAsync(natsConnection, events),
            "read-async" => await ReadAsync(natsConnection, name, events),
            "noop-handler" => await HandlerAsync(natsConnection, name, events, new PeriodicCursorStore(new PostgresCursorStore(replicaSource), TimeSpan.FromSeconds(1)), (_, _, _) => ValueTask.CompletedTask),
            _ => await ReplicaAsync(natsConnection, replicaSource, name, events),
        };
        results[contender].Add(events / seconds);
        Console.WriteLine($"round {round + 1} {contender,-13}: {events / seconds,10:N0} events/s ({events} in {seconds:F2}s)");
    }
}

foreach (var (contender, rates) in results)
{
    Console.WriteLine($"median {contender,-13}: {Median(rates),10:N0} events/s (rounds: {string.Join(", ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))})");
}

Console.WriteLine($"load after: {Load()}");
return;

static async Task<double> NatsNetAsync(NatsConnection connection, int events)
{
    var js = new NatsJSContext(connection);
    var watch = Stopwatch.StartNew();
    var consumer = await js.CreateOrderedConsumerAsync(Stream, new NatsJSOrderedConsumerOpts { FilterSubjects = [Items], DeliverPolicy = ConsumerConfigDeliverPolicy.All });
    var seen = 0;
    await foreach (var message in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default, new NatsJSConsumeOpts { MaxMsgs = 256 }))
    {
        if (++seen == events)
        {
            break;
        }
    }

    return watch.Elapsed.TotalSeconds;
}

static CdcConsumerOptions Options(string name, ICursorStore? store = null) => new()
{
    Stream = Stream,
    ConsumerName = name,
    FilterSubjects = [Items],
    CursorStore = store ?? new JetStreamCursorStore(),
};

static async Task<double> ReadAsync(NatsConnection connection, string name, int events)
{
    await using var consumer = new CdcConsumer(Options(name), connection);
    var watch = Stopwatch.StartNew();
    var seen = 0;
    await foreach (var evt in consumer.ReadAsync())
    {
        if (evt is not CdcChangeEvent)
        {
            throw new InvalidOperationException($"expected a change at {evt.StreamSequence}, got {evt.GetType().Name}");
        }

        if (++seen == events)
        {
            break;
        }
    }

    return watch.Elapsed.TotalSeconds;
}

static async Task<double> HandlerAsync(NatsConnection connection, string name, int events, ICursorStore store, CdcHandler handler)
{
    await using var consumer = new CdcConsumer(Options(name, store), connection);
    using var done = new CancellationTokenSource();
    var seen = 0;
    var watch = Stopwatch.StartNew();
    try
    {
        await consumer.RunAsync(async (evt, context, ct) =>
        {
            await handler(evt, context, ct);
            if (++seen == events)
            {
                await done.CancelAsync();
            }
        }, done.Token);
    }
    catch (OperationCanceledException) when (done.IsCancellationRequested)
    {
    }

    var seconds = watch.Elapsed.TotalSeconds;
    if (store is IAsyncDisposable disposable)
    {
        await disposable.DisposeAsync();
    }

    return seconds;
}

static async Task<double> ReplicaAsync(NatsConnection connection, NpgsqlDataSource replica, string name, int events)
{
    await using (var reset = replica.CreateCommand("TRUNCATE items, effects"))
    {
        await reset.ExecuteNonQueryAsync();
    }

    var seconds = await HandlerAsync(connection, name, events, new PostgresCursorStore(replica), ReplicaApplier.ApplyAsync);
    await using var check = replica.CreateCommand("SELECT count(*) FROM items");
    var rows = (long)(await check.ExecuteScalarAsync())!;
    if (rows < events - 1)
    {
        throw new InvalidOperationException($"the replica holds {rows} rows after {events} events");
    }

    return seconds;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

static int Arg(string name, int fallback)
{
    var args = Environment.GetCommandLineArgs();
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
