using System.Runtime.CompilerServices;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Consumer.Reading;

/// <summary>
/// Reads the stream in order from a sequence with an ordered (ephemeral, unacknowledged) consumer, which NATS.Net
/// recreates after a reconnect from the last sequence it delivered. For cursors kept outside JetStream.
/// </summary>
internal static class OrderedSource
{
    public static async IAsyncEnumerable<INatsJSMsg<byte[]>> ReadAsync(
        INatsJSContext js,
        CdcConsumerOptions options,
        ulong afterSequence,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var opts = new NatsJSOrderedConsumerOpts
        {
            FilterSubjects = [.. options.FilterSubjects],
            DeliverPolicy = afterSequence == 0 ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = afterSequence == 0 ? 0 : afterSequence + 1,
        };
        var consumer = await js.CreateOrderedConsumerAsync(options.Stream, opts, cancellationToken).ConfigureAwait(false);
        var consume = new NatsJSConsumeOpts { MaxMsgs = options.BatchSize };
        await foreach (var message in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default, consume, cancellationToken).ConfigureAwait(false))
        {
            yield return message;
        }
    }
}
