using System.Diagnostics;
using System.Globalization;
using Cdc.Sink;
using Cdc.Sink.JetStream;
using Cdc.Sink.Connection;

// Usage: NatsPublishBench <nats-url> <stream> <messages> <payload-bytes>
// Publishes through StreamingBatchWriter (every message with a Nats-Msg-Id, every PubAck awaited) and
// prints one JSON line with the rate.
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: NatsPublishBench <nats-url> <stream> <messages> <payload-bytes>");
    return 2;
}

var url = args[0];
var streamName = args[1];
var count = int.Parse(args[2], CultureInfo.InvariantCulture);
var size = int.Parse(args[3], CultureInfo.InvariantCulture);
var payload = new byte[size];
Random.Shared.NextBytes(payload);
var subject = $"bench.{streamName}";

var acks = new CountingAckHandler();
var stream = new JetStreamStreamOptions { Name = streamName, Subjects = [subject], Storage = StreamStorage.File };
await using var writer = new StreamingBatchWriter(new NatsOptions { Urls = [url] }, stream, new BatchWriterOptions(), acks);
await writer.StartAsync();

var messages = new OutboundMessage[count];
for (var i = 0; i < count; i++)
{
    messages[i] = new OutboundMessage
    {
        Kind = MessageKind.WriteTable,
        Table = "bench",
        Subject = subject,
        MessageId = "dotnet-" + i.ToString(CultureInfo.InvariantCulture),
        Payload = payload,
    };
}

var clock = Stopwatch.StartNew();
foreach (var message in messages)
{
    await writer.WriteAsync(message);
}

await writer.DrainAsync();
clock.Stop();
if (acks.Acked != count || acks.Failed != 0)
{
    Console.Error.WriteLine($"acked {acks.Acked}, failed {acks.Failed}, expected {count}");
    return 1;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"client\":\"cdc-dotnet\",\"messages\":{count},\"seconds\":{clock.Elapsed.TotalSeconds:F3},\"msgs_per_sec\":{count / clock.Elapsed.TotalSeconds:F0}}}"));
return 0;

internal sealed class CountingAckHandler : IAckHandler
{
    private long _acked;
    private long _failed;

    public long Acked => Interlocked.Read(ref _acked);

    public long Failed => Interlocked.Read(ref _failed);

    public void OnAcked(OutboundMessage message, ulong streamSequence) => Interlocked.Increment(ref _acked);

    public void OnFailed(OutboundMessage message, Exception error) => Interlocked.Increment(ref _failed);
}
