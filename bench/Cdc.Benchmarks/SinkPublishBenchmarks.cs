using System.Globalization;
using BenchmarkDotNet.Attributes;
using Cdc.Sink;
using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Cdc.Testing;
using NATS.Client.Core;

namespace Cdc.Benchmarks;

/// <summary>
/// The sink's per-message publish path against a real nats-server on loopback (started once per run):
/// <list type="bullet">
/// <item>"Publish": NATS.Net's core <see cref="NatsConnection.PublishAsync{T}(string, T, NatsHeaders, string, INatsSerialize{T}, NatsPubOpts, CancellationToken)"/>
/// of messages shaped like the batch writer's (Nats-Msg-Id header, reply subject with a token) to a subject nobody
/// subscribes to: the client's serialisation and socket writes, with little server work.</item>
/// <item>"StreamingBatchWriter": <see cref="StreamingBatchWriter.WriteAsync"/> of every message, then
/// <see cref="StreamingBatchWriter.DrainAsync"/>: batching, the in-flight window, PubAck routing by token and
/// parsing, with JetStream (memory storage) storing each message.</item>
/// </list>
/// Per message; the messages (250-byte payload) are built before timing, so Allocated is the sink's. The
/// server shares the CPUs: compare Mean only within one run.
/// </summary>
public class SinkPublishBenchmarks
{
    private const int Messages = 20_000;
    private const int PayloadSize = 250;

    private NatsServer? _server;
    private NatsConnection? _connection;
    private StreamingBatchWriter? _writer;
    private byte[] _payload = [];
    private OutboundMessage[] _messages = [];
    private readonly CountingAckHandler _acks = new();

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = await NatsServer.StartAsync().ConfigureAwait(false);
        var nats = new NatsOptions { Urls = [_server.Url] };
        _connection = NatsOptsFactory.Connect(nats);
        await _connection.ConnectAsync().ConfigureAwait(false);

        var payload = new byte[PayloadSize];
        new Random(42).NextBytes(payload);
        _payload = payload;
        _messages = new OutboundMessage[Messages];
        for (var i = 0; i < Messages; i++)
        {
            var id = "cdc_slot:000000000A1B2C3D:" + i.ToString(CultureInfo.InvariantCulture);
            _messages[i] = new OutboundMessage
            {
                Kind = MessageKind.WriteTable,
                Table = "public.orders",
                Subject = "bench.js.public.orders.insert",
                MessageId = id,
                Payload = payload,
            };
        }

        // Short duplicate window and a message cap: repeated ids are stored again after 100 ms, memory stays bounded.
        var stream = new JetStreamStreamOptions
        {
            Name = "BENCH",
            Subjects = ["bench.js.>"],
            Storage = StreamStorage.Memory,
            DuplicateWindow = TimeSpan.FromMilliseconds(100),
            MaxMessages = 100_000,
        };
        _writer = new StreamingBatchWriter(nats, stream, new BatchWriterOptions(), _acks);
        await _writer.StartAsync().ConfigureAwait(false);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "NATS.Net Publish (Nats-Msg-Id, reply token), no subscriber")]
    public async Task Publish()
    {
        for (var i = 0; i < Messages; i++)
        {
            var headers = new NatsHeaders { ["Nats-Msg-Id"] = _messages[i].MessageId };
            await _connection!.PublishAsync(
                "bench.nobody.public.orders.insert",
                (ReadOnlyMemory<byte>)_payload,
                headers,
                "_CDC_ACK.abcdefghijklmnopqrstuv." + (1_000_000 + i).ToString(CultureInfo.InvariantCulture),
                NatsRawSerializer<ReadOnlyMemory<byte>>.Default).ConfigureAwait(false);
        }

        await _connection!.PingAsync().ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "StreamingBatchWriter -> JetStream (memory), all PubAcks")]
    public async Task Writer()
    {
        foreach (var message in _messages)
        {
            await _writer!.WriteAsync(message).ConfigureAwait(false);
        }

        await _writer!.DrainAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _acks.Failed) != 0)
        {
            throw new InvalidOperationException($"{_acks.Failed} publishes failed");
        }
    }

    private sealed class CountingAckHandler : IAckHandler
    {
        public void OnAcked(OutboundMessage message, ulong streamSequence)
        {
        }

        public int Failed;

        public void OnFailed(OutboundMessage message, Exception error) => Interlocked.Increment(ref Failed);
    }
}
