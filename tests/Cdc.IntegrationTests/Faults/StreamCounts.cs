using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.IntegrationTests.Faults;

/// <summary>Counts stored messages by subject without reading them (an ephemeral consumer's pending count).</summary>
internal static class StreamCounts
{
    public static async Task<ulong> CountAsync(string natsUrl, string stream, string filter)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = natsUrl, Name = "test-counter" });
        var js = new NatsJSContext(connection);
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig
        {
            AckPolicy = ConsumerConfigAckPolicy.None,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            FilterSubject = filter,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        });
        await js.DeleteConsumerAsync(stream, consumer.Info.Name);
        return consumer.Info.NumPending;
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
            catch (NatsJSApiException)
            {
                // The stream is not created yet.
            }

            await Task.Delay(1000);
        }

        return seen;
    }
}
