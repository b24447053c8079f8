using System.Diagnostics;
using System.Globalization;
using NatsPublishBench;

// Usage: NatsPublishBench <nats-url> <stream> <messages> <payload-bytes> [writer|writer-nochain|natsnet-js]
// writer: Cdc's StreamingBatchWriter (every message with a Nats-Msg-Id, every PubAck awaited);
// writer-nochain: the same without Nats-Expected-Last-Msg-Id (the cost of the ordering chain);
// natsnet-js: NATS.Net's own js.PublishAsync, 1,024 publishes in flight.
// Each contender first publishes as many other messages untimed (JIT and tiering settle, as in a long-running sidecar:
// 100,000 were not enough on 2 busy cores), then the timed run. Prints one JSON line with the rate, the process CPU
// time and the bytes allocated (all threads) per message, and apart from them the start-up: the process's CPU from
// its start to the end of the warm-up (runtime start, connect, stream setup, JIT, tiering) and the warm-up's rate.
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: NatsPublishBench <nats-url> <stream> <messages> <payload-bytes> [writer|writer-nochain|natsnet-js]");
    return 2;
}

var url = args[0];
var streamName = args[1];
var count = int.Parse(args[2], CultureInfo.InvariantCulture);
var size = int.Parse(args[3], CultureInfo.InvariantCulture);
var mode = args.Length > 4 ? args[4] : "writer";
var payload = new byte[size];
Random.Shared.NextBytes(payload);
var subject = $"bench.{streamName}";

IPublishRun run = mode switch
{
    "writer" => new WriterRun(chain: true),
    "writer-nochain" => new WriterRun(chain: false),
    "natsnet-js" => new JsPublishRun(),
    _ => throw new ArgumentException($"unknown mode {mode}"),
};
var process = Process.GetCurrentProcess();
await run.SetupAsync(url, streamName, subject, count, payload);
var warmUpClock = Stopwatch.StartNew();
await run.WarmUpAsync(count);
warmUpClock.Stop();
process.Refresh();
var cpuBefore = process.TotalProcessorTime;
var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
var clock = Stopwatch.StartNew();
await run.PublishAllAsync();
clock.Stop();
process.Refresh();
var cpu = process.TotalProcessorTime - cpuBefore;
// Every thread's allocations (NATS.Net's reader and writer loops too): a measure the machine's load does not move.
var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
var error = run.Check();
await run.DisposeAsync();
if (error is not null)
{
    Console.Error.WriteLine(error);
    return 1;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"client\":\"{run.Name}\",\"messages\":{count},\"seconds\":{clock.Elapsed.TotalSeconds:F3},\"msgs_per_sec\":{count / clock.Elapsed.TotalSeconds:F0},\"cpu_us_per_msg\":{cpu.TotalMicroseconds / count:F2},\"alloc_bytes_per_msg\":{(double)allocated / count:F1},\"startup_cpu_s\":{cpuBefore.TotalSeconds:F3},\"warmup_msgs_per_sec\":{count / warmUpClock.Elapsed.TotalSeconds:F0}}}"));
return 0;
