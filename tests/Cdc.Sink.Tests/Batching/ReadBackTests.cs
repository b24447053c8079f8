using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Cdc.Sink.Tests.Support;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Cdc.Sink.Tests.Batching;

/// <summary>The read-back before a republish takes only this writer's own copies of its messages as proof they are stored.</summary>
public sealed class ReadBackTests
{
    private static readonly JetStreamStreamOptions Stream = new() { Name = "CDC", Subjects = ["cdc.>"], DuplicateWindow = TimeSpan.FromSeconds(1) };

    /// <summary>
    /// The stream already holds a message with the id of one this writer will publish, stored before the writer started
    /// (by another cluster with the same slot name under Cdc:AllowSystemChange, whose ids can coincide, or by an earlier
    /// run in dedupe mode, which replays). The writer's first publishes are lost; the read-back must not take that older
    /// copy for its own and report the messages before it as stored.
    /// </summary>
    [Fact]
    public async Task A_copy_stored_before_the_writer_started_does_not_count_as_stored_by_it()
    {
        const int Count = 10;
        await using var server = await NatsServer.StartAsync();
        await using var proxy = new TcpDropProxy(server.Port);
        await using (var earlier = new NatsConnection(NatsOpts.Default with { Url = server.Url }))
        {
            var js = new NatsJSContext(earlier);
            await StreamSetup.EnsureStreamAsync(js, Stream);
            var foreign = Messages.Row("orders", 5);
            var ack = await js.PublishAsync(foreign.Subject, foreign.Payload.ToArray(), headers: new NatsHeaders { ["Nats-Msg-Id"] = foreign.MessageId });
            ack.EnsureSuccess();
        }

        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the earlier copy's id leaves the duplicate window
        var acks = new RecordingAckHandler();
        var nats = new NatsOptions
        {
            Urls = [$"nats://127.0.0.1:{proxy.Port}"],
            ReconnectWaitMin = TimeSpan.FromMilliseconds(50),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(500),
            PingInterval = TimeSpan.FromMilliseconds(500),
            MaxPingsOut = 2,
            RequestTimeout = TimeSpan.FromSeconds(2),
        };
        var options = new BatchWriterOptions { MaxRows = 1, AckTimeout = TimeSpan.FromSeconds(1) };
        await using (var writer = new StreamingBatchWriter(nats, Stream, options, acks))
        {
            await writer.StartAsync();
            proxy.Blackhole(); // the first publishes go nowhere
            for (var i = 0; i < Count; i++)
            {
                await writer.WriteAsync(Messages.Row("orders", i));
            }

            await writer.FlushAsync();
            await writer.DrainAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        var stored = await StreamContentsReader.ReadAllAsync(server.Url, "CDC", Count + 2);
        var ours = stored.Skip(1).Select(m => m.Header("Nats-Msg-Id")).ToList();
        Assert.Equal(Enumerable.Range(0, Count).Select(i => Messages.Row("orders", i).MessageId), ours);
        Assert.Equal(Count, acks.Acked.Count);
        Assert.Equal(0, acks.DoubleReports);
        var sequences = stored.Skip(1).ToDictionary(m => m.Header("Nats-Msg-Id")!, m => m.Sequence);
        Assert.All(acks.Acked, a => Assert.Equal(sequences[a.Message.MessageId], a.Sequence));
    }
}
