using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.IntegrationTests.Faults;

/// <summary>Counts stored messages by subject without reading them (the stream's per-subject counts).</summary>
internal static class StreamCounts
{
    public static async Task<ulong> CountAsync(string natsUrl, string stream, string filter)
    {
        // Stream info with a subjects filter: the server counts per subject (no consumer, which NATS.Net would
        // create with the filtered-create API that nats-server 2.9 refuses for multi-token filters).
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = natsUrl, Name = "test-counter" });
        var js = new NatsJSContext(connection);
        var info = await js.GetStreamAsync(stream, new StreamInfoRequest { SubjectsFilter = filter });
        return (ulong)(info.Info.State.Subjects?.Values.Sum(count => (long)count) ?? 0);
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
