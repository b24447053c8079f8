using Cdc.Sink.JetStream;
using Cdc.Sink.Nats;
using Cdc.V1;

namespace Cdc.IntegrationTests.Support;

/// <summary>One message read back from the JetStream stream.</summary>
public sealed record StoredChange(ulong Sequence, string Subject, string MessageId, ChangeEvent Event);

/// <summary>Reads a whole JetStream stream back with an ephemeral pull consumer (our own client).</summary>
public static class StreamContents
{
    public static async Task<IReadOnlyList<StoredChange>> ReadAllAsync(string natsUrl, string stream, string filter = ">")
    {
        await using var connection = new NatsConnection(new NatsOptions { Urls = [natsUrl], Name = "test-reader" });
        await connection.ConnectAsync();
        var js = new JetStreamContext(connection);
        var consumer = await js.CreateConsumerAsync(stream, new ConsumerConfig
        {
            AckPolicy = "none",
            DeliverPolicy = "all",
            FilterSubject = filter == ">" ? null : filter,
            InactiveThreshold = (long)TimeSpan.FromMinutes(1).TotalNanoseconds,
        });
        var result = new List<StoredChange>();
        while (true)
        {
            var batch = await js.FetchAsync(stream, consumer.Name!, 1000, TimeSpan.FromMilliseconds(700));
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var msg in batch)
            {
                if (msg.Subject.EndsWith("._schema", StringComparison.Ordinal) || msg.Subject.EndsWith("._snapshot", StringComparison.Ordinal))
                {
                    continue;
                }

                result.Add(new StoredChange(msg.Metadata.StreamSequence, msg.Subject, msg.Headers?["Nats-Msg-Id"] ?? string.Empty,
                    ChangeEvent.Parser.ParseFrom(msg.Data.Span)));
            }
        }

        return result;
    }

    /// <summary>The snapshot completion markers (<c>._snapshot</c> subjects) with their stream sequence.</summary>
    public static async Task<IReadOnlyList<(ulong Sequence, SnapshotEvent Marker)>> ReadMarkersAsync(string natsUrl, string stream, string prefix = "cdc")
    {
        await using var connection = new NatsConnection(new NatsOptions { Urls = [natsUrl], Name = "test-marker-reader" });
        await connection.ConnectAsync();
        var js = new JetStreamContext(connection);
        var consumer = await js.CreateConsumerAsync(stream, new ConsumerConfig
        {
            AckPolicy = "none",
            DeliverPolicy = "all",
            FilterSubject = prefix + ".*.*.*._snapshot",
            InactiveThreshold = (long)TimeSpan.FromMinutes(1).TotalNanoseconds,
        });
        var result = new List<(ulong, SnapshotEvent)>();
        while (true)
        {
            var batch = await js.FetchAsync(stream, consumer.Name!, 1000, TimeSpan.FromMilliseconds(700));
            if (batch.Count == 0)
            {
                return result;
            }

            result.AddRange(batch.Select(m => (m.Metadata.StreamSequence, SnapshotEvent.Parser.ParseFrom(m.Data.Span))));
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
            catch (JetStreamException)
            {
                // The stream is not created yet.
            }

            await Task.Delay(300);
        }

        return changes;
    }
}
