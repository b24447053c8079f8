using Cdc.Consumer.Cursors;
using Cdc.Consumer.Tests.Support;
using Cdc.V1;
using NATS.Client.Core;
using Npgsql;

namespace Cdc.Consumer.Tests;

[Collection(ServersCollection.Name)]
public sealed class PeriodicCursorTests(ServersFixture servers)
{
    [Fact]
    public async Task Periodic_cursor_writes_hold_the_position_in_memory_until_the_period_or_the_stop_then_resume_from_it()
    {
        await using var stream = await TestStream.CreateAsync(servers.Nats.Url, nameof(Periodic_cursor_writes_hold_the_position_in_memory_until_the_period_or_the_stop_then_resume_from_it));
        var database = await servers.Postgres.CreateDatabaseAsync("consumer_periodic");
        await using var dataSource = NpgsqlDataSource.Create(servers.Postgres.ConnectionString(database));
        await CdcConsumerSchema.EnsureAsync(dataSource);
        for (var i = 1; i <= 8; i++)
        {
            await stream.PublishAsync(TestStream.Row(Operation.Insert, "items", i, null, (ulong)i * 0x100));
        }

        // A period far longer than the test: nothing is written while running, everything on the stop.
        var handled = new List<ulong>();
        await using (var slow = new PeriodicCursorStore(new PostgresCursorStore(dataSource), TimeSpan.FromHours(1)))
        {
            await using var consumer = new CdcConsumer(Options(stream, slow));
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var run = consumer.RunAsync((evt, context, _) =>
            {
                Assert.Null(context.Transaction);
                handled.Add(evt.StreamSequence);
                Assert.Equal(0UL, CursorOf(dataSource));
                if (evt.StreamSequence == 5)
                {
                    stop.Cancel();
                }

                return ValueTask.CompletedTask;
            }, stop.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            Assert.Equal([1UL, 2, 3, 4, 5], handled);
            Assert.Equal(5UL, CursorOf(dataSource));
        }

        // A short period: the position is written while the consumer runs, and it resumes after the written one.
        var resumed = new List<ulong>();
        await using (var fast = new PeriodicCursorStore(new PostgresCursorStore(dataSource), TimeSpan.FromMilliseconds(50)))
        {
            await using var consumer = new CdcConsumer(Options(stream, fast));
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var run = consumer.RunAsync((evt, _, _) =>
            {
                resumed.Add(evt.StreamSequence);
                return ValueTask.CompletedTask;
            }, stop.Token);
            await Cdc.Testing.Eventually.UntilAsync(() => CursorOf(dataSource) == 8, TimeSpan.FromSeconds(30), "the periodic write of 8", run);
            Assert.True(run.IsCompleted is false, "the cursor was written while the consumer ran");
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        Assert.Equal([6UL, 7, 8], resumed);
    }

    private CdcConsumerOptions Options(TestStream stream, ICursorStore store) => new()
    {
        Nats = new NatsOpts { Url = servers.Nats.Url },
        Stream = stream.Name,
        ConsumerName = "periodic",
        CursorStore = store,
    };

    private static ulong CursorOf(NpgsqlDataSource dataSource)
    {
        using var command = dataSource.CreateCommand("SELECT stream_sequence FROM cdc_consumer_cursors WHERE consumer = 'periodic'");
        return command.ExecuteScalar() is long sequence ? (ulong)sequence : 0;
    }
}
