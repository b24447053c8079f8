using Cdc.Sink.JetStream;
using Cdc.Sink.Nats;

namespace Cdc.IntegrationTests.Faults;

/// <summary>Counts stored messages by subject without reading them (an ephemeral consumer's pending count).</summary>
internal static class StreamCounts
{
    public static async Task<ulong> CountAsync(string natsUrl, string stream, string filter)
    {
        await using var connection = new NatsConnection(new NatsOptions { Urls = [natsUrl], Name = "test-counter" });
        await connection.ConnectAsync();
        var js = new JetStreamContext(connection);
        var consumer = await js.CreateConsumerAsync(stream, new ConsumerConfig
        {
            AckPolicy = "none",
            DeliverPolicy = "all",
            FilterSubject = filter,
            InactiveThreshold = (long)TimeSpan.FromSeconds(30).TotalNanoseconds,
        });
        await js.DeleteConsumerAsync(stream, consumer.Name!);
        return consumer.NumPending;
    }

    /// <summary>Polls until <paramref name="filter"/> holds <paramref name="count"/> messages; returns the last count seen.</summary>
    public static async Task<ulong> WaitForAsync(string natsUrl, string stream, string filter, ulong count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        ulong seen = 0;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                seen = await CountAsync(natsUrl, stream, filter);
                if (seen >= count)
                {
                    return seen;
                }
            }
            catch (JetStreamException)
            {
                // The stream is not created yet.
            }

            await Task.Delay(1000);
        }

        return seen;
    }
}
