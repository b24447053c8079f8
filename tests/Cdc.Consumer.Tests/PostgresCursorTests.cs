using Cdc.Consumer.Cursors;
using Cdc.Consumer.Errors;
using Cdc.Consumer.Replica;
using Cdc.Consumer.Tests.Support;
using NATS.Client.Core;
using Npgsql;

namespace Cdc.Consumer.Tests;

[Collection(ServersCollection.Name)]
public sealed class PostgresCursorTests(ServersFixture servers)
{
    private enum Fault
    {
        CancelAfterEffect,
        DisposeMidBatch,
        ThrowAfterEffectThenStop,
        ThrowAfterEffectThenRetry,
    }

    [Fact]
    public async Task A_replica_applied_with_its_cursor_in_the_same_transaction_survives_repeated_kills_with_every_effect_exactly_once()
    {
        await using var stream = await TestStream.CreateAsync(servers.Nats.Url, nameof(A_replica_applied_with_its_cursor_in_the_same_transaction_survives_repeated_kills_with_every_effect_exactly_once));
        var database = await servers.Postgres.CreateDatabaseAsync("consumer_replica");
        await servers.Postgres.ExecuteAsync(ReplicaApplier.CreateTablesSql, database);
        await using var dataSource = NpgsqlDataSource.Create(servers.Postgres.ConnectionString(database));
        await CdcConsumerSchema.EnsureAsync(dataSource);

        var workload = new ReplicaWorkload(events: 500, keys: 25, seed: 7);
        foreach (var change in workload.Changes.Take(100))
        {
            await stream.PublishAsync(change);
        }

        // The rest is published while the consumer runs and is killed.
        var writer = Task.Run(async () =>
        {
            ulong written = 0;
            foreach (var chunk in workload.Changes.Skip(100).Chunk(10))
            {
                foreach (var change in chunk)
                {
                    written = await stream.PublishAsync(change);
                }

                await Task.Delay(25);
            }

            return written;
        });

        var random = new Random(11);
        var faultsFired = 0;
        for (var round = 0; ; round++)
        {
            Fault? fault = round < 12 ? (Fault)(round % 4) : null;
            var killAt = random.Next(3, 25);
            var start = ReplicaState.Cursor(dataSource);
            var options = new CdcConsumerOptions
            {
                Nats = new NatsOpts { Url = servers.Nats.Url },
                Stream = stream.Name,
                ConsumerName = "replica",
                CursorStore = new PostgresCursorStore(dataSource),
                BatchSize = 64,
                Retry = new RetryOptions { MaxAttempts = fault == Fault.ThrowAfterEffectThenStop ? 1 : 3, InitialBackoff = TimeSpan.FromMilliseconds(1) },
                ErrorPolicy = ErrorPolicy.Stop,
            };
            var consumer = new CdcConsumer(options);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var handled = 0;
            var fired = false;
            var run = consumer.RunAsync(async (evt, context, ct) =>
            {
                await ReplicaApplier.ApplyAsync(evt, context, ct);
                if (fault is null || ++handled != killAt || (fired && fault != Fault.ThrowAfterEffectThenRetry))
                {
                    return;
                }

                fired = true;
                switch (fault)
                {
                    case Fault.CancelAfterEffect:
                        await stop.CancelAsync();
                        ct.ThrowIfCancellationRequested();
                        break;
                    case Fault.DisposeMidBatch:
                        _ = Task.Run(async () => await consumer.DisposeAsync(), CancellationToken.None);
                        break;
                    case Fault.ThrowAfterEffectThenStop:
                    case Fault.ThrowAfterEffectThenRetry:
                        if (context.Attempt == 1)
                        {
                            throw new InvalidOperationException("failed after the effect, before the commit");
                        }

                        break;
                }
            }, stop.Token);

            if (fault is null or Fault.ThrowAfterEffectThenRetry)
            {
                // A retried failure does not stop the consumer: stop it from outside once it is past the failed event (or at the end).
                var target = fault is null ? await writer : start + (ulong)killAt + 1;
                await Cdc.Testing.Eventually.UntilAsync(() => ReplicaState.Cursor(dataSource) >= target, TimeSpan.FromSeconds(60), $"the cursor to reach {target}", run);
                await stop.CancelAsync();
            }

            var ended = await Record.ExceptionAsync(() => run);
            Assert.NotNull(ended);
            Assert.False(stop.IsCancellationRequested && fault is Fault.DisposeMidBatch or Fault.ThrowAfterEffectThenStop, $"round {round} ({fault}) ran into its timeout: {ended}");
            await consumer.DisposeAsync();
            faultsFired += fired ? 1 : 0;
            if (fault is null)
            {
                break;
            }
        }

        var last = await writer;
        Assert.Equal(500UL, last);
        Assert.Equal(12, faultsFired);
        Assert.Equal(last, ReplicaState.Cursor(dataSource));
        Assert.Equal(Enumerable.Range(1, (int)last).Select(i => (long)i), await ReplicaState.EffectsAsync(dataSource));
        Assert.Equal(workload.Expected, await ReplicaState.RowsAsync(dataSource));
    }
}
