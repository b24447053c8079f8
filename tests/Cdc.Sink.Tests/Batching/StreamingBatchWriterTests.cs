using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Cdc.Sink.Tests.Support;
using Cdc.Testing;

namespace Cdc.Sink.Tests.Batching;

public sealed class StreamingBatchWriterTests
{
    private static readonly JetStreamStreamOptions Stream = new() { Name = "CDC", Subjects = ["cdc.>"] };

    [Fact]
    public async Task Every_message_is_acked_once_and_stored_in_order_per_table()
    {
        await using var server = await NatsServer.StartAsync();
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(new NatsOptions { Urls = [server.Url] }, Stream, new BatchWriterOptions { MaxRows = 100, MaxPendingAcks = 256 }, acks);
        await writer.StartAsync();

        for (var i = 0; i < 3000; i++)
        {
            await writer.WriteAsync(Messages.Row(i % 2 == 0 ? "orders" : "items", i));
        }

        await writer.DrainAsync();
        var stored = await StreamContentsReader.ReadAllAsync(server.Url, "CDC", 3000);

        Assert.Equal(3000, acks.Acked.Count);
        Assert.Empty(acks.Failed);
        Assert.Equal(0, acks.DoubleReports);
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => (ulong)i), acks.Acked.Select(a => a.Sequence).Order());
        Assert.Equal(Enumerable.Range(0, 1500).Select(i => $"orders:{i * 2}"), stored.Where(m => m.Subject.EndsWith(".orders", StringComparison.Ordinal)).Select(m => m.Text));
        Assert.Equal(Enumerable.Range(0, 1500).Select(i => $"items:{(i * 2) + 1}"), stored.Where(m => m.Subject.EndsWith(".items", StringComparison.Ordinal)).Select(m => m.Text));
        Assert.Equal("orders", stored[0].Header("Cdc-Table"));
    }

    [Fact]
    public async Task A_batch_nobody_flushes_is_published_when_its_timeout_has_passed_and_the_next_one_too()
    {
        await using var server = await NatsServer.StartAsync();
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(new NatsOptions { Urls = [server.Url] }, Stream, new BatchWriterOptions { MaxRows = 100, Timeout = TimeSpan.FromMilliseconds(50) }, acks);
        await writer.StartAsync();

        // Neither batch is full or flushed: only the batch timer publishes them (the second re-arms it).
        for (var i = 0; i < 3; i++)
        {
            await writer.WriteAsync(Messages.Row("t", i));
        }

        await Eventually.UntilAsync(() => acks.Acked.Count == 3, TimeSpan.FromSeconds(10), "the first open batch published by its timeout");
        for (var i = 3; i < 5; i++)
        {
            await writer.WriteAsync(Messages.Row("t", i));
        }

        await Eventually.UntilAsync(() => acks.Acked.Count == 5, TimeSpan.FromSeconds(10), "the second open batch published by its timeout");
        var stored = await StreamContentsReader.ReadAllAsync(server.Url, "CDC", 5);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"t:{i}"), stored.Select(m => m.Text));
        Assert.Equal(0, acks.DoubleReports);
    }

    [Fact]
    public async Task A_schema_message_is_acked_before_the_following_rows_are_published()
    {
        await using var server = await NatsServer.StartAsync();
        var order = new List<string>();
        var acks = new CallbackAckHandler(m => { lock (order) { order.Add(m.MessageId); } });
        await using var writer = new StreamingBatchWriter(new NatsOptions { Urls = [server.Url] }, Stream, new BatchWriterOptions { MaxRows = 10 }, acks);
        await writer.StartAsync();

        await writer.WriteAsync(Messages.Row("t", 0));
        await writer.WriteAsync(Messages.Row("t", 1, kind: MessageKind.MigrateTable));
        for (var i = 2; i < 50; i++)
        {
            await writer.WriteAsync(Messages.Row("t", i));
        }

        await writer.WriteAsync(Messages.Row("t", 50, kind: MessageKind.DeleteStale));
        await writer.DrainAsync();
        var stored = await StreamContentsReader.ReadAllAsync(server.Url, "CDC", 51);

        // Blocks are barriers: acks arrive in block order, and the stream holds the write order.
        Assert.Equal(Enumerable.Range(0, 51).Select(i => $"slot:t:{i:D8}"), order);
        Assert.Equal("cdc.db.public.t._schema", stored[1].Subject);
        Assert.Equal(Enumerable.Range(0, 51).Select(i => $"t:{i}"), stored.Select(m => m.Text));
    }

    [Fact]
    public async Task A_replayed_message_id_is_acked_but_not_stored_twice()
    {
        await using var server = await NatsServer.StartAsync();
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(new NatsOptions { Urls = [server.Url] }, Stream, new BatchWriterOptions(), acks);
        await writer.StartAsync();

        for (var i = 0; i < 10; i++)
        {
            await writer.WriteAsync(Messages.Row("t", i));
        }

        await writer.DrainAsync();
        var replay = new RecordingAckHandler();
        await using var second = new StreamingBatchWriter(writer.Connection, Stream, new BatchWriterOptions(), replay);
        await second.StartAsync();
        for (var i = 5; i < 15; i++)
        {
            await second.WriteAsync(Messages.Row("t", i));
        }

        await second.DrainAsync();
        var (count, _) = await StreamContentsReader.CountAsync(server.Url, "CDC");

        Assert.Equal(10, replay.Acked.Count);
        Assert.Equal(15UL, count);
        Assert.Equal(acks.Acked.Where(a => (int)a.Message.State! >= 5).Select(a => a.Sequence).Order(), replay.Acked.Where(a => (int)a.Message.State! < 10).Select(a => a.Sequence).Order());
    }

    [Fact]
    public async Task A_message_over_max_payload_fails_with_a_clear_error_under_the_fail_policy()
    {
        await using var server = await NatsServer.StartAsync("max_payload: 2048");
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(new NatsOptions { Urls = [server.Url] }, Stream, new BatchWriterOptions { OversizePolicy = OversizePolicy.Fail }, acks);
        await writer.StartAsync();

        await writer.WriteAsync(Messages.Row("t", 0));
        await writer.WriteAsync(Messages.Row("t", 1, payloadBytes: 5000));
        await writer.WriteAsync(Messages.Row("t", 2));
        await writer.DrainAsync();

        var failure = Assert.Single(acks.Failed);
        var error = Assert.IsType<MessageTooLargeException>(failure.Error);
        Assert.Equal(1, failure.Message.State);
        Assert.Equal(2048, error.MaxPayload);
        Assert.Contains("max_payload", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, acks.Acked.Count);
    }

    [Fact]
    public async Task A_message_over_max_payload_is_published_as_a_reference_under_the_reference_policy()
    {
        await using var server = await NatsServer.StartAsync("max_payload: 2048");
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(new NatsOptions { Urls = [server.Url] }, Stream, new BatchWriterOptions { OversizePolicy = OversizePolicy.PublishReference }, acks);
        await writer.StartAsync();

        await writer.WriteAsync(Messages.Row("t", 0, payloadBytes: 5000));
        await writer.DrainAsync();
        var stored = Assert.Single(await StreamContentsReader.ReadAllAsync(server.Url, "CDC", 1));

        Assert.Single(acks.Acked);
        Assert.Empty(acks.Failed);
        Assert.Empty(stored.Data);
        Assert.Equal("max_payload", stored.Header("Cdc-Payload-Omitted"));
        Assert.Equal("5000", stored.Header("Cdc-Payload-Size"));
        Assert.Equal("2048", stored.Header("Cdc-Max-Payload"));
        Assert.Equal("slot:t:00000000", stored.Header("Nats-Msg-Id"));
        Assert.Equal("t", stored.Header("Cdc-Table"));
    }

    [Fact]
    public async Task A_server_restart_mid_stream_loses_nothing_and_stores_nothing_twice()
    {
        await using var server = await NatsServer.StartAsync();
        var acks = new RecordingAckHandler();
        var nats = new NatsOptions { Urls = [server.Url], ReconnectWaitMin = TimeSpan.FromMilliseconds(50), ReconnectWaitMax = TimeSpan.FromMilliseconds(500) };
        await using var writer = new StreamingBatchWriter(nats, Stream, new BatchWriterOptions { MaxRows = 50, MaxPendingAcks = 500 }, acks);
        await writer.StartAsync();
        var reconnects = 0;
        writer.Connection.ConnectionDisconnected += (_, _) =>
        {
            Interlocked.Increment(ref reconnects);
            return ValueTask.CompletedTask;
        };
        const int total = 20_000;

        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < total; i++)
            {
                await writer.WriteAsync(Messages.Row("t", i, payloadBytes: 100));
            }
        });
        await Eventually.UntilAsync(() => acks.Reported >= 2000, TimeSpan.FromSeconds(60), "2,000 acks before the restart", producer);

        await server.RestartAsync();
        var reportedAtRestart = acks.Reported;
        await producer;
        await writer.DrainAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var (count, _) = await StreamContentsReader.CountAsync(server.Url, "CDC");
        var stored = await StreamContentsReader.ReadAllAsync(server.Url, "CDC", total);

        Assert.True(reconnects >= 1, "the connection never dropped");
        Assert.True(reportedAtRestart < total, "the restart came after the last ack");
        Assert.Equal(total, acks.Acked.Count);
        Assert.Equal(0, acks.DoubleReports);
        Assert.Empty(acks.Failed);
        Assert.Equal((ulong)total, count);
        Assert.Equal(Enumerable.Range(0, total).Select(i => $"slot:t:{i:D8}"), stored.Select(m => m.Header("Nats-Msg-Id")));
    }

    [Fact]
    public async Task A_message_NATS_cannot_carry_fails_alone_and_the_writer_goes_on()
    {
        await using var server = await NatsServer.StartAsync();
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(new NatsOptions { Urls = [server.Url] }, Stream, new BatchWriterOptions(), acks);
        await writer.StartAsync();
        var row = Messages.Row("t", 0);

        await writer.WriteAsync(row);
        await writer.WriteAsync(Messages.Row("bad subject", 1));
        await writer.WriteAsync(new OutboundMessage { Kind = row.Kind, Table = "t", Subject = row.Subject, MessageId = "id\r\nX-Injected: 1", Payload = row.Payload, State = 2 });
        await writer.WriteAsync(new OutboundMessage { Kind = row.Kind, Table = "t", Subject = row.Subject, MessageId = "slot:t:3", Payload = row.Payload, Headers = [new("Bad: name", "v")], State = 3 });
        await writer.WriteAsync(Messages.Row("t", 4));
        await writer.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var stored = await StreamContentsReader.ReadAllAsync(server.Url, "CDC", 2);

        Assert.Equal([1, 2, 3], acks.Failed.Select(f => (int)f.Message.State!).Order());
        Assert.All(acks.Failed, f => Assert.IsType<InvalidMessageException>(f.Error));
        Assert.Contains("invalid subject 'cdc.db.public.bad subject'", acks.Failed.Single(f => (int)f.Message.State! == 1).Error.Message, StringComparison.Ordinal);
        Assert.Equal([0, 4], acks.Acked.Select(a => (int)a.Message.State!).Order());
        Assert.Equal(["t:0", "t:4"], stored.Select(m => m.Text));
        Assert.Equal(0, acks.DoubleReports);
    }

    [Fact]
    public async Task Dispose_reports_every_message_not_yet_acknowledged_in_write_order()
    {
        await using var server = await NatsServer.StartAsync();
        var acks = new RecordingAckHandler();
        // No stream listens on "nostream.>": the first five stay in the window (503, retried), the rest wait in an open batch.
        var writer = new StreamingBatchWriter(new NatsOptions { Urls = [server.Url] }, Stream, new BatchWriterOptions { MaxRows = 5, Timeout = TimeSpan.FromMinutes(1) }, acks);
        await writer.StartAsync();
        for (var i = 0; i < 8; i++)
        {
            await writer.WriteAsync(Messages.Row("t", i, prefix: "nostream"));
        }

        await Eventually.UntilAsync(() => writer.PendingAcks == 5, TimeSpan.FromSeconds(10), "five messages published and waiting for their PubAck");
        await writer.DisposeAsync();

        Assert.Empty(acks.Acked);
        Assert.Equal(Enumerable.Range(0, 8), acks.Failed.Select(f => (int)f.Message.State!));
        Assert.All(acks.Failed, f => Assert.True(Assert.IsType<SinkStoppedException>(f.Error).IsTransient));
        Assert.Equal(0, acks.DoubleReports);
        Assert.Equal(0, writer.PendingAcks);
    }

    [Fact]
    public void Options_validation_names_the_key_and_the_range()
    {
        var error = Assert.Throws<SinkConfigurationException>(() => new BatchWriterOptions { MaxRows = 0 }.Validate());
        Assert.Equal("BatchWriter:MaxRows", error.Key);
        Assert.Contains("1..1000000", error.Message, StringComparison.Ordinal);

        var stream = Assert.Throws<SinkConfigurationException>(() => new JetStreamStreamOptions { Replicas = 7 }.Validate());
        Assert.Equal("JetStream:Replicas", stream.Key);
    }

    [Fact]
    public async Task NullSink_acks_every_message_at_once()
    {
        var acks = new RecordingAckHandler();
        await using var sink = new NullSink(acks);
        await sink.StartAsync();
        await sink.WriteAsync(Messages.Row("t", 1));
        await sink.WriteAsync(Messages.Row("t", 2));

        Assert.Equal([1UL, 2UL], acks.Acked.Select(a => a.Sequence));
    }

    [Theory]
    [InlineData("orders", "orders")]
    [InlineData("my.table", "my_table")]
    [InlineData("a b*c>", "a_b_c_")]
    [InlineData("", "_")]
    [InlineData("tä", "t_")]
    public void SubjectTokens_sanitize_replaces_what_a_token_may_not_hold(string name, string expected) =>
        Assert.Equal(expected, SubjectTokens.Sanitize(name));
}
