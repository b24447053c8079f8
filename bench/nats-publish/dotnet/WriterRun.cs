using System.Globalization;
using Cdc.Sink;
using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;

namespace NatsPublishBench;

/// <summary>Cdc's StreamingBatchWriter with default options.</summary>
internal sealed class WriterRun(bool chain) : IPublishRun
{
    private readonly CountingAckHandler _acks = new();
    private StreamingBatchWriter? _writer;
    private OutboundMessage[] _messages = [];
    private string _subject = string.Empty;
    private byte[] _payload = [];

    public string Name => chain ? "cdc-writer" : "cdc-writer-nochain";

    public async Task SetupAsync(string url, string stream, string subject, int count, byte[] payload)
    {
        var options = new BatchWriterOptions { ChainPublishes = chain };
        _writer = new StreamingBatchWriter(new NatsOptions { Urls = [url] }, new JetStreamStreamOptions { Name = stream, Subjects = [subject], Storage = StreamStorage.File }, options, _acks);
        await _writer.StartAsync();
        (_subject, _payload) = (subject, payload);
        _messages = Build("dotnet-", count);
    }

    public async Task WarmUpAsync(int messages)
    {
        foreach (var message in Build("warm-", messages))
        {
            await _writer!.WriteAsync(message);
        }

        await _writer!.DrainAsync();
    }

    private OutboundMessage[] Build(string prefix, int count)
    {
        var messages = new OutboundMessage[count];
        for (var i = 0; i < count; i++)
        {
            messages[i] = new OutboundMessage
            {
                Kind = MessageKind.WriteTable,
                Table = "bench",
                Subject = _subject,
                MessageId = prefix + i.ToString(CultureInfo.InvariantCulture),
                Payload = _payload,
            };
        }

        return messages;
    }

    public async Task PublishAllAsync()
    {
        foreach (var message in _messages)
        {
            await _writer!.WriteAsync(message);
        }

        await _writer!.DrainAsync();
    }

    public string? Check() =>
        _acks.Failed == 0 ? null : $"acked {_acks.Acked}, failed {_acks.Failed}";

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }
    }

    private sealed class CountingAckHandler : IAckHandler
    {
        private long _acked;
        private long _failed;

        public long Acked => Interlocked.Read(ref _acked);

        public long Failed => Interlocked.Read(ref _failed);

        public void OnAcked(OutboundMessage message, ulong streamSequence) => Interlocked.Increment(ref _acked);

        public void OnFailed(OutboundMessage message, Exception error) => Interlocked.Increment(ref _failed);
    }
}
