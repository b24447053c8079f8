using Cdc.V1;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.IntegrationTests.Support;

/// <summary>One message read back from the JetStream stream.</summary>
public sealed record StoredChange(ulong Sequence, string Subject, string MessageId, ChangeEvent Event);

/// <summary>Reads a whole JetStream stream back with a NATS.Net ordered consumer.</summary>
public static class StreamContents
{
    public static async Task<IReadOnlyList<StoredChange>> ReadAllAsync(string natsUrl, string stream, string filter = ">")
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = natsUrl, Name = "test-reader" });
        var js = new NatsJSContext(connection);
        // Filtered client-side: NATS.Net creates a filtered consumer with the API nats-server 2.9 refuses for multi-token filters.
        var consumer = await js.CreateOrderedConsumerAsync(stream, new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All });
        var result = new List<StoredChange>();
        while (true)
        {
            var received = 0;
            await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1000, Expires = TimeSpan.FromMilliseconds(1100) }))
            {
                received++;
                if (msg.Subject.EndsWith("._schema", StringComparison.Ordinal) || msg.Subject.EndsWith("._snapshot", StringComparison.Ordinal) || !Matches(filter, msg.Subject))
                {
                    continue;
                }

                result.Add(new StoredChange(msg.Metadata?.Sequence.Stream ?? 0, msg.Subject, msg.Headers?["Nats-Msg-Id"].ToString() ?? string.Empty,
                    ChangeEvent.Parser.ParseFrom(msg.Data ?? [])));
            }

            if (received == 0)
            {
                break;
            }
        }

        return result;
    }

    /// <summary>NATS subject matching: <c>*</c> one token, <c>&gt;</c> the rest.</summary>
    private static bool Matches(string filter, string subject)
    {
        var f = filter.Split('.');
        var s = subject.Split('.');
        for (var i = 0; i < f.Length; i++)
        {
            if (f[i] == ">")
            {
                return s.Length > i;
            }

            if (i >= s.Length || (f[i] != "*" && f[i] != s[i]))
            {
                return false;
            }
        }

        return f.Length == s.Length;
    }

    /// <summary>The snapshot completion markers (<c>._snapshot</c> subjects) with their stream sequence.</summary>
    public static async Task<IReadOnlyList<(ulong Sequence, SnapshotEvent Marker)>> ReadMarkersAsync(string natsUrl, string stream, string prefix = "cdc")
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = natsUrl, Name = "test-marker-reader" });
        var js = new NatsJSContext(connection);
        var consumer = await js.CreateOrderedConsumerAsync(stream, new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All });
        var result = new List<(ulong, SnapshotEvent)>();
        while (true)
        {
            var received = 0;
            await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1000, Expires = TimeSpan.FromMilliseconds(1100) }))
            {
                received++;
                if (msg.Subject.StartsWith(prefix + ".", StringComparison.Ordinal) && msg.Subject.EndsWith("._snapshot", StringComparison.Ordinal))
                {
                    result.Add((msg.Metadata?.Sequence.Stream ?? 0, SnapshotEvent.Parser.ParseFrom(msg.Data ?? [])));
                }
            }

            if (received == 0)
            {
                return result;
            }
        }
    }

    /// <summary>Polls until the stream holds at least <paramref name="count"/> row changes.</summary>
    public static async Task<IReadOnlyList<StoredChange>> WaitForAsync(string natsUrl, string stream, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<StoredChange> changes = [];
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                changes = await ReadAllAsync(natsUrl, stream);
                if (changes.Count >= count)
                {
                    return changes;
                }
            }
            catch (NatsJSApiException)
            {
                // The stream is not created yet.
            }

            await Task.Delay(300);
        }

        return changes;
    }
}
