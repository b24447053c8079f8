using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace NatsPublishBench;

/// <summary>NATS.Net's idiomatic JetStream publish: js.PublishAsync with a message id, 1,024 in flight.</summary>
internal sealed class JsPublishRun : IPublishRun
{
    private const int Window = 1024;
    private NatsConnection? _connection;
    private NatsJSContext? _js;
    private string _subject = string.Empty;
    private byte[] _payload = [];
    private int _count;
    private long _acked;
    private long _failed;

    public string Name => "natsnet-js-publish";

    public async Task SetupAsync(string url, string stream, string subject, int count, byte[] payload)
    {
        _connection = new NatsConnection(NatsOpts.Default with { Url = url });
        _js = new NatsJSContext(_connection);
        await _js.CreateStreamAsync(new StreamConfig(stream, [subject]) { Storage = StreamConfigStorage.File });
        (_subject, _payload, _count) = (subject, payload, count);
    }

    public Task WarmUpAsync(int messages) => PublishAsync("warm-", messages);

    public Task PublishAllAsync() => PublishAsync("natsnet-", _count);

    private async Task PublishAsync(string prefix, int count)
    {
        var inFlight = new Queue<Task<PubAckResponse>>(Window);
        for (var i = 0; i < count; i++)
        {
            if (inFlight.Count == Window)
            {
                Count(await inFlight.Dequeue());
            }

            inFlight.Enqueue(_js!.PublishAsync(_subject, _payload, opts: new NatsJSPubOpts { MsgId = prefix + i.ToString(CultureInfo.InvariantCulture) }).AsTask());
        }

        while (inFlight.Count > 0)
        {
            Count(await inFlight.Dequeue());
        }
    }

    public string? Check() => _failed == 0 ? null : $"acked {_acked}, failed {_failed}";

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }

    private void Count(PubAckResponse ack)
    {
        if (ack.IsSuccess())
        {
            _acked++;
        }
        else
        {
            _failed++;
        }
    }
}
