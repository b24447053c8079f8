using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Cdc.Sink.Tests.Support;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Cdc.Sink.Tests.Batching;

/// <summary>
/// Per-table order and exactly-once storage through faults in the middle of a pipelined stream of publishes:
/// a connection cut (reset), a connection that goes silent (black hole), a server restart, and messages refused
/// with 503 while the stream is unbound from their subject. Three tables interleaved; thousands of messages in
/// flight when the fault hits.
/// </summary>
public sealed class OrderAcrossFaultsTests
{
    private const int Total = 30_000;
    private static readonly string[] Tables = ["orders", "items", "users"];
    private static readonly JetStreamStreamOptions Stream = new() { Name = "CDC", Subjects = ["cdc.>"] };

    [Fact]
    public async Task Connections_cut_mid_batch_keep_each_tables_order_and_store_every_message_once()
    {
        await using var server = await NatsServer.StartAsync();
        await using var proxy = new TcpDropProxy(server.Port);
        var run = await RunAsync(proxy.Port, async acks =>
        {
            await acks.WaitReportedAsync(3_000);
            proxy.DropAll();
            await acks.WaitReportedAsync(12_000);
            proxy.DropAll();
        });

        await AssertOrderedAndOnceAsync(server, run, faults: 2);
    }

    [Fact]
    public async Task A_black_holed_connection_keeps_each_tables_order_and_stores_every_message_once()
    {
        await using var server = await NatsServer.StartAsync();
        await using var proxy = new TcpDropProxy(server.Port);
        var run = await RunAsync(proxy.Port, async acks =>
        {
            await acks.WaitReportedAsync(3_000);
            proxy.Blackhole();
        });

        await AssertOrderedAndOnceAsync(server, run, faults: 1);
    }

    [Fact]
    public async Task A_server_restart_mid_batch_keeps_each_tables_order_and_stores_every_message_once()
    {
        await using var server = await NatsServer.StartAsync();
        await using var proxy = new TcpDropProxy(server.Port);
        var run = await RunAsync(proxy.Port, async acks =>
        {
            await acks.WaitReportedAsync(3_000);
            await server.RestartAsync();
        });

        await AssertOrderedAndOnceAsync(server, run, faults: 1);
    }

    /// <summary>
    /// The PubAcks stop reaching the writer while its publishes still reach the server, then the connection is cut: the
    /// server stored thousands whose PubAcks the writer never got; NATS stays unreachable for three 1 s duplicate windows while the server runs (and forgets those ids),
    /// so a republish of them would be stored again. The writer reads from the stream what it holds before it republishes.
    /// </summary>
    [Fact]
    public async Task An_outage_longer_than_the_duplicate_window_stores_no_message_twice()
    {
        await using var server = await NatsServer.StartAsync();
        await using var proxy = new TcpDropProxy(server.Port);
        StreamingBatchWriter? writer = null;
        var shortWindow = Stream with { DuplicateWindow = TimeSpan.FromSeconds(1) };
        var run = await RunAsync(proxy.Port, async acks =>
        {
            await acks.WaitReportedAsync(3_000);
            proxy.BlackholeReplies();
            await Task.Delay(TimeSpan.FromMilliseconds(300)); // stored meanwhile, their PubAcks lost
            proxy.Refusing = true;
            proxy.DropAll();
            await Task.Delay(TimeSpan.FromSeconds(3));
            proxy.Refusing = false;
        }, shortWindow, started => writer = started);

        await AssertOrderedAndOnceAsync(server, run, faults: 1);
        Assert.True(writer!.SettledFromStream > 0, "no message was found stored with its PubAck lost: the cut did not test the read-back");
    }

    /// <summary>
    /// The same lost PubAcks inside the duplicate window, with the chain (and so the read-back) off: the writer
    /// republishes blind what the server stored, JetStream drops each copy by its Nats-Msg-Id, and the writer counts
    /// every such duplicate PubAck (<see cref="StreamingBatchWriter.JetStreamDuplicates"/>, cdc_jetstream_duplicates_total).
    /// With the chain on, the read-back settles these messages from the stream and the count stays 0.
    /// </summary>
    [Fact]
    public async Task Copies_JetStream_drops_as_duplicates_are_counted_and_stored_once()
    {
        await using var server = await NatsServer.StartAsync();
        await using var proxy = new TcpDropProxy(server.Port);
        StreamingBatchWriter? writer = null;
        var run = await RunAsync(proxy.Port, async acks =>
        {
            await acks.WaitReportedAsync(3_000);
            proxy.BlackholeReplies();
            await Task.Delay(TimeSpan.FromMilliseconds(300)); // stored meanwhile, their PubAcks lost
            proxy.DropAll();
        }, started: started => writer = started, chain: false);

        Assert.Empty(run.Acks.Failed);
        Assert.Equal(0, run.Acks.DoubleReports);
        Assert.Equal(Total, run.Acks.Acked.Count);
        var (count, _) = await StreamContentsReader.CountAsync(server.Url, "CDC");
        var stored = await StreamContentsReader.ReadAllAsync(server.Url, "CDC", Total + 1);
        Assert.Equal((ulong)Total, count);
        Assert.Equal(Total, stored.Select(m => m.Header("Nats-Msg-Id")).Distinct().Count());
        Assert.True(writer!.JetStreamDuplicates > 0, "no republished copy was answered as a duplicate: the fault lost no PubAck of a stored message");
        Assert.Equal(0, writer.SettledFromStream);
    }

    /// <summary>
    /// A read of the stream is in flight when NATS goes away, and fails during the outage; the next one waits for the
    /// reconnect (NATS.Net sends nothing while disconnected), which lands on a server without JetStream (no responders)
    /// for 1.5 times <see cref="BatchWriterOptions.NoStreamRetryTime"/>, then on the real one. The outage before it,
    /// longer than that time, does not count: only the time connected to a server that does not answer does. Counting the
    /// outage, the writer would republish blind at the reconnect and give the messages up as refused before JetStream is
    /// back; and a blind republish to the real server would store again the messages whose PubAcks were lost (their ids
    /// forgotten by the 1 s duplicate window).
    /// </summary>
    [Fact]
    public async Task An_outage_longer_than_the_retry_time_does_not_count_towards_it_and_stores_no_message_twice()
    {
        await using var server = await NatsServer.StartAsync();
        await using var withoutJetStream = await NatsServer.StartAsync("jetstream: disabled");
        await using var proxy = new TcpDropProxy(server.Port);
        await using var watcher = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var shortWindow = Stream with { DuplicateWindow = TimeSpan.FromSeconds(1) };
        var patience = TimeSpan.FromSeconds(3);
        var options = new BatchWriterOptions
        {
            MaxRows = 200,
            MaxPendingAcks = Total, // never waits for room: the writer is idle at the pause, so the ack timeout can start a recovery
            AckTimeout = TimeSpan.FromSeconds(1),
            NoStreamRetryTime = patience,
        };
        var pause = new ProducerPause(At: 10_000);
        StreamingBatchWriter? writer = null;
        var run = await RunAsync(proxy.Port, async acks =>
        {
            await acks.WaitReportedAsync(3_000);
            await using (var reads = await watcher.SubscribeCoreAsync<byte[]>("$JS.API.STREAM.INFO.CDC"))
            {
                proxy.BlackholeReplies();
                await pause.Reached.Task.WaitAsync(TimeSpan.FromSeconds(60));

                // The recovery's first read reaches the server (seen on its API subject) and its reply is lost.
                await reads.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }

            proxy.Refusing = true;
            proxy.DropAll();
            await Task.Delay(patience + TimeSpan.FromSeconds(2)); // the read fails meanwhile (2 s request timeout)
            proxy.TargetPort = withoutJetStream.Port;
            proxy.Refusing = false;
            await Task.Delay(patience * 1.5); // connected, and JetStream does not answer
            proxy.TargetPort = server.Port;
            proxy.DropAll();
            await Eventually.UntilAsync(() => writer!.Connection.ConnectionState == NatsConnectionState.Open, TimeSpan.FromSeconds(30), "reconnected");
            pause.Resume.SetResult();
        }, shortWindow, started => writer = started, options, pause, nats => nats with { RequestTimeout = TimeSpan.FromSeconds(2), PingInterval = TimeSpan.FromSeconds(10) });

        await AssertOrderedAndOnceAsync(server, run, faults: 2);
        Assert.True(writer!.SettledFromStream > 0, "no message was found stored with its PubAck lost: the cut did not test the read-back");
    }

    [Fact]
    public async Task Messages_refused_with_503_mid_batch_are_stored_in_order_once_the_stream_is_back()
    {
        await using var server = await NatsServer.StartAsync();
        await using var admin = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(admin);
        var run = await RunAsync(server.Port, async acks =>
        {
            await acks.WaitReportedAsync(3_000);

            // The stream lets go of the subjects for a second: publishes meanwhile get 503 (no responders).
            await js.UpdateStreamAsync((Stream with { Subjects = ["elsewhere.>"] }).ToConfig());
            await Task.Delay(TimeSpan.FromSeconds(1));
            await js.UpdateStreamAsync(Stream.ToConfig());
        });

        await AssertOrderedAndOnceAsync(server, run, faults: 0);
    }

    private static async Task<Run> RunAsync(
        int port,
        Func<RecordingAckHandler, Task> fault,
        JetStreamStreamOptions? stream = null,
        Action<StreamingBatchWriter>? started = null,
        BatchWriterOptions? options = null,
        ProducerPause? pause = null,
        Func<NatsOptions, NatsOptions>? tuneNats = null,
        bool chain = true)
    {
        var acks = new RecordingAckHandler();
        var nats = new NatsOptions
        {
            Urls = [$"nats://127.0.0.1:{port}"],
            ReconnectWaitMin = TimeSpan.FromMilliseconds(50),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(500),
            PingInterval = TimeSpan.FromMilliseconds(500),
            MaxPingsOut = 2,
        };
        nats = tuneNats?.Invoke(nats) ?? nats;
        options ??= new BatchWriterOptions { MaxRows = 200, MaxPendingAcks = 4_000, AckTimeout = TimeSpan.FromSeconds(3), ChainPublishes = chain };
        var writer = new StreamingBatchWriter(nats, stream ?? Stream, options, acks);
        await using (writer)
        {
            await writer.StartAsync();
            started?.Invoke(writer);
            var disconnects = 0;
            writer.Connection.ConnectionDisconnected += (_, _) =>
            {
                Interlocked.Increment(ref disconnects);
                return ValueTask.CompletedTask;
            };
            var producer = Task.Run(async () =>
            {
                for (var i = 0; i < Total; i++)
                {
                    if (i == pause?.At)
                    {
                        pause.Reached.SetResult();
                        await pause.Resume.Task;
                    }

                    await writer.WriteAsync(Messages.Row(Tables[i % Tables.Length], i, payloadBytes: 100));
                }
            });
            await fault(acks).WaitAsync(TimeSpan.FromSeconds(60));
            var reportedAtFault = acks.Reported;
            await producer.WaitAsync(TimeSpan.FromSeconds(120));
            await writer.DrainAsync().WaitAsync(TimeSpan.FromSeconds(120));
            return new Run(acks, reportedAtFault, Volatile.Read(ref disconnects));
        }
    }

    private static async Task AssertOrderedAndOnceAsync(NatsServer server, Run run, int faults)
    {
        var (count, _) = await StreamContentsReader.CountAsync(server.Url, "CDC");
        var stored = await StreamContentsReader.ReadAllAsync(server.Url, "CDC", Total + 1);

        Assert.True(run.ReportedAtFault < Total, "the fault came after the last ack");
        Assert.True(run.Disconnects >= faults, $"{run.Disconnects} disconnects, expected at least {faults}");
        Assert.Equal(Total, run.Acks.Acked.Count);
        Assert.Empty(run.Acks.Failed);
        Assert.Equal(0, run.Acks.DoubleReports);

        // Exactly once: every message stored, none twice.
        Assert.Equal((ulong)Total, count);
        Assert.Equal(Total, stored.Select(m => m.Header("Nats-Msg-Id")).Distinct().Count());

        // Per table, the stream holds the messages in the order they were written.
        for (var t = 0; t < Tables.Length; t++)
        {
            var table = Tables[t];
            var expected = Enumerable.Range(0, Total).Where(i => i % Tables.Length == t).Select(i => $"slot:{table}:{i:D8}");
            Assert.Equal(expected, stored.Where(m => m.Header("Cdc-Table") == table).Select(m => m.Header("Nats-Msg-Id")));
        }

        // Each ack's sequence is where the message is.
        var sequences = stored.ToDictionary(m => m.Header("Nats-Msg-Id")!, m => m.Sequence);
        Assert.All(run.Acks.Acked, a => Assert.Equal(sequences[a.Message.MessageId], a.Sequence));
    }

    /// <summary>The producer stops before message <paramref name="At"/> until <see cref="Resume"/> is set.</summary>
    private sealed record ProducerPause(int At)
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Resume { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record Run(RecordingAckHandler Acks, int ReportedAtFault, int Disconnects);
}
