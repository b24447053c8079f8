using Cdc.Sink.JetStream;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Listener.Cli;

/// <summary>
/// Creates the NATS.Net ordered consumer of <c>cdc tail</c>: ephemeral, no acks (reading never disturbs other
/// consumers), no subject filter (every sequence is seen, so a gap is a real gap), recreated by NATS.Net if it
/// misses a message, removed by the server after a short inactivity when tail goes away.
/// </summary>
internal static class TailConsumer
{
    private static readonly TimeSpan InactiveThreshold = TimeSpan.FromSeconds(30);

    /// <summary>Returns the consumer and the first stream sequence tail should expect (0 when unknown).</summary>
    public static async Task<(INatsJSConsumer Consumer, ulong Expected)> CreateAsync(INatsJSContext js, string stream, TailStart start, CancellationToken cancellationToken)
    {
        StreamInfo? info;
        try
        {
            info = await StreamSetup.GetStreamAsync(js, stream, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsNoRespondersException)
        {
            throw new TailException("JetStream is not enabled on this server");
        }

        if (info is null)
        {
            throw new TailException($"stream {stream} does not exist on this server (is --stream right, has cdc run started?)");
        }

        // "new" is asked as "from the sequence after the last one": the same thing without a window in
        // which a message stored between the two requests would be skipped unseen.
        var last = info.State?.LastSeq ?? 0;
        var (policy, sequence, time, expected) = start switch
        {
            TailStart.FromStart => (ConsumerConfigDeliverPolicy.All, 0UL, default(DateTimeOffset), 1UL),
            TailStart.FromSequence s => (ConsumerConfigDeliverPolicy.ByStartSequence, s.Sequence, default, s.Sequence),
            TailStart.Since s => (ConsumerConfigDeliverPolicy.ByStartTime, 0UL, s.Time, 0UL),
            _ => (ConsumerConfigDeliverPolicy.ByStartSequence, last + 1, default, last + 1),
        };

        try
        {
            var consumer = await js.CreateOrderedConsumerAsync(
                stream,
                new NatsJSOrderedConsumerOpts
                {
                    DeliverPolicy = policy,
                    OptStartSeq = sequence,
                    OptStartTime = time,
                    InactiveThreshold = InactiveThreshold,
                },
                cancellationToken).ConfigureAwait(false);
            return (consumer, expected);
        }
        catch (NatsJSApiException e)
        {
            throw new TailException($"cannot create a consumer on {stream}: {e.Error.Description}");
        }
    }
}

/// <summary>A problem <c>cdc tail</c> reports in one line.</summary>
internal sealed class TailException(string message) : Exception(message);
