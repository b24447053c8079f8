using System.Runtime.CompilerServices;
using Cdc.Consumer.Cursors;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Consumer.Reading;

/// <summary>
/// Reads through a durable pull consumer named after the consumer, one unacknowledged message at a time
/// (max_ack_pending 1) so events are handled in stream order even across redeliveries; its ack floor is the cursor.
/// </summary>
internal sealed class DurableSource
{
    private static readonly TimeSpan _pullExpiry = TimeSpan.FromSeconds(30);

    private readonly INatsJSConsumer _consumer;

    private DurableSource(INatsJSConsumer consumer)
    {
        _consumer = consumer;
    }

    /// <summary>The stream sequence of the last acknowledged event (0 for a new consumer).</summary>
    public ulong AckFloor => _consumer.Info.AckFloor.StreamSeq;

    public static async Task<DurableSource> OpenAsync(INatsJSContext js, CdcConsumerOptions options, JetStreamCursorStore store, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig(options.ConsumerName)
        {
            DurableName = options.ConsumerName,
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = store.AckWait,
            MaxAckPending = 1,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        };
        if (options.FilterSubjects.Count == 1)
        {
            config.FilterSubject = options.FilterSubjects[0];
        }
        else if (options.FilterSubjects.Count > 1)
        {
            config.FilterSubjects = [.. options.FilterSubjects];
        }

        var consumer = await js.CreateOrUpdateConsumerAsync(options.Stream, config, cancellationToken).ConfigureAwait(false);
        return new DurableSource(consumer);
    }

    public async IAsyncEnumerable<INatsJSMsg<byte[]>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = new NatsJSNextOpts { Expires = _pullExpiry };
        while (true)
        {
            // One pull per event: nothing is delivered ahead of the handler, so a stop leaves no message waiting out its ack wait.
            var message = await _consumer.NextAsync(NatsRawSerializer<byte[]>.Default, next, cancellationToken).ConfigureAwait(false);
            if (message is not null)
            {
                yield return message;
            }
        }
    }
}
