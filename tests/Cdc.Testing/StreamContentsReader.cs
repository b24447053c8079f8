using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Testing;

/// <summary>Reads a stream with NATS.Net (an ordered consumer on a connection of its own), for assertions.</summary>
public static class StreamContentsReader
{
    /// <summary>Up to <paramref name="expected"/> messages from the start of the stream (fewer if it holds fewer).</summary>
    public static async Task<List<StoredMessage>> ReadAllAsync(string url, string stream, int expected, NatsOpts? opts = null)
    {
        await using var connection = new NatsConnection((opts ?? NatsOpts.Default) with { Url = url, Name = "test reader" });
        var js = new NatsJSContext(connection);

        // After a node loss the stream may still be electing a leader: creating the consumer is retried for a while.
        INatsJSConsumer consumer;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                consumer = await js.CreateOrderedConsumerAsync(stream, new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All });
                break;
            }
            catch (Exception e) when (e is NatsException && attempt < 20)
            {
                await Task.Delay(500);
            }
        }

        var result = new List<StoredMessage>();
        while (result.Count < expected)
        {
            var before = result.Count;
            await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = Math.Min(1000, expected - result.Count), Expires = TimeSpan.FromSeconds(2) }))
            {
                var headers = new Dictionary<string, string>(StringComparer.Ordinal);
                if (message.Headers is { } h)
                {
                    foreach (var (name, values) in h)
                    {
                        headers[name] = values.ToString();
                    }
                }

                result.Add(new StoredMessage(message.Metadata?.Sequence.Stream ?? 0, message.Subject, message.Data ?? [], headers));
            }

            if (result.Count == before)
            {
                break;
            }
        }

        return result;
    }

    /// <summary>The stream's message count and last sequence.</summary>
    public static async Task<(ulong Messages, ulong LastSequence)> CountAsync(string url, string stream)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = url, Name = "test reader" });
        var js = new NatsJSContext(connection);
        var info = await js.GetStreamAsync(stream);
        return ((ulong)info.Info.State.Messages, info.Info.State.LastSeq);
    }
}
