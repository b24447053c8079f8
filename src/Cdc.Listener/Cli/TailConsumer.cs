using Cdc.Sink.JetStream;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Listener.Cli;

/// <summary>
/// Where <c>cdc tail</c> starts: the stream sequence it reads after (the consumer library's ordered consumer then reads
/// from there: ephemeral, no acks, so reading never disturbs other consumers; no subject filter, so every sequence is
/// seen and a gap is a real gap).
/// </summary>
internal static class TailConsumer
{
    private static readonly TimeSpan SinceLookupWait = TimeSpan.FromSeconds(2);

    /// <summary>The sequence to read after (0: from the stream's start) and the first sequence tail expects.</summary>
    public static async Task<(ulong After, ulong Expected)> ResolveStartAsync(INatsJSContext js, string stream, TailStart start, CancellationToken cancellationToken)
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

        // "new" is "after the last sequence now": no window in which a message stored meanwhile is skipped unseen.
        var last = info.State?.LastSeq ?? 0;
        return start switch
        {
            TailStart.FromStart => (0UL, 1UL),
            TailStart.FromSequence s => (s.Sequence - 1, s.Sequence),
            TailStart.Since s => await FirstSinceAsync(js, stream, s.Time, last, cancellationToken).ConfigureAwait(false),
            _ => (last, last + 1),
        };
    }

    /// <summary>
    /// The first sequence stored at or after <paramref name="time"/>, asked of a short-lived ordered consumer (nats-server 2.9
    /// has no message lookup by time); none: only new messages.
    /// </summary>
    private static async Task<(ulong, ulong)> FirstSinceAsync(INatsJSContext js, string stream, DateTimeOffset time, ulong last, CancellationToken cancellationToken)
    {
        try
        {
            var probe = await js.CreateOrderedConsumerAsync(stream, new NatsJSOrderedConsumerOpts
            {
                DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime,
                OptStartTime = time,
            }, cancellationToken).ConfigureAwait(false);
            await foreach (var message in probe.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1, Expires = SinceLookupWait }, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var sequence = message.Metadata?.Sequence.Stream ?? last + 1;
                return (sequence - 1, 0);
            }
        }
        catch (NatsJSApiException e)
        {
            throw new TailException($"cannot create a consumer on {stream}: {e.Error.Description}");
        }

        return (last, 0);
    }
}

/// <summary>A problem <c>cdc tail</c> reports in one line.</summary>
internal sealed class TailException(string message) : Exception(message);
