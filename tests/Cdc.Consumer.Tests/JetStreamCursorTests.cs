using Cdc.Consumer.Cursors;
using Cdc.Consumer.Errors;
using Cdc.Consumer.Tests.Support;
using Cdc.V1;
using NATS.Client.Core;

namespace Cdc.Consumer.Tests;

[Collection(ServersCollection.Name)]
public sealed class JetStreamCursorTests(ServersFixture servers)
{
    [Fact]
    public async Task A_restarted_durable_consumer_resumes_after_the_last_acknowledged_event()
    {
        await using var stream = await TestStream.CreateAsync(servers.Nats.Url, nameof(A_restarted_durable_consumer_resumes_after_the_last_acknowledged_event));
        for (var i = 1; i <= 10; i++)
        {
            await stream.PublishAsync(TestStream.Row(Operation.Insert, "items", i, null, (ulong)i * 0x100));
        }

        var options = new CdcConsumerOptions
        {
            Nats = new NatsOpts { Url = servers.Nats.Url },
            Stream = stream.Name,
            ConsumerName = "durable",
            CursorStore = new JetStreamCursorStore { AckWait = TimeSpan.FromSeconds(30) },
            Retry = new RetryOptions { MaxAttempts = 1 },
            ErrorPolicy = ErrorPolicy.Stop,
        };

        // First run: handles 1..4, then stops on 5 (the handler refuses it once).
        var first = new List<ulong>();
        await using (var consumer = new CdcConsumer(options))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var failed = await Assert.ThrowsAsync<CdcHandlerFailedException>(() => consumer.RunAsync((evt, _, _) =>
            {
                if (evt.StreamSequence == 5)
                {
                    throw new InvalidOperationException("not yet");
                }

                first.Add(evt.StreamSequence);
                return ValueTask.CompletedTask;
            }, timeout.Token));
            Assert.Equal(5UL, failed.StreamSequence);
        }

        Assert.Equal([1UL, 2, 3, 4], first);
        var info = await stream.Js.GetConsumerAsync(stream.Name, "durable");
        Assert.Equal(4UL, info.Info.AckFloor.StreamSeq);

        // Second run, new connection: 5..10, nothing acknowledged comes again, and event 5 comes at once (it was nak'ed, not left to its ack wait).
        var second = new List<ulong>();
        await using (var consumer = new CdcConsumer(options))
        {
            using var done = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var run = consumer.RunAsync((evt, _, _) =>
            {
                second.Add(evt.StreamSequence);
                if (evt.StreamSequence == 10)
                {
                    done.Cancel();
                }

                return ValueTask.CompletedTask;
            }, done.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        Assert.Equal([5UL, 6, 7, 8, 9, 10], second);
    }

    [Fact]
    public async Task A_durable_consumer_with_several_filters_gets_only_their_events_and_does_not_stall_on_others()
    {
        await using var stream = await TestStream.CreateAsync(servers.Nats.Url, nameof(A_durable_consumer_with_several_filters_gets_only_their_events_and_does_not_stall_on_others));
        string[] tables = ["a", "b", "c"];
        for (var i = 1; i <= 9; i++)
        {
            await stream.PublishAsync(TestStream.Row(Operation.Insert, tables[(i - 1) % 3], i, null, (ulong)i * 0x100));
        }

        var options = new CdcConsumerOptions
        {
            Nats = new NatsOpts { Url = servers.Nats.Url },
            Stream = stream.Name,
            ConsumerName = "two-tables",
            FilterSubjects = [stream.TableSubject("a"), stream.TableSubject("b")],
        };
        await using var consumer = new CdcConsumer(options);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<(ulong, string)>();
        var run = consumer.RunAsync((evt, _, _) =>
        {
            seen.Add((evt.StreamSequence, ((Events.CdcChangeEvent)evt).Change.Table));
            if (evt.StreamSequence == 8)
            {
                stop.Cancel();
            }

            return ValueTask.CompletedTask;
        }, stop.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal([(1UL, "a"), (2UL, "b"), (4UL, "a"), (5UL, "b"), (7UL, "a"), (8UL, "b")], seen);
    }
}
