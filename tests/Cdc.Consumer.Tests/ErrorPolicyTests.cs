using Cdc.Consumer.Cursors;
using Cdc.Consumer.Errors;
using Cdc.Consumer.Tests.Support;
using Cdc.V1;
using NATS.Client.Core;
using Npgsql;

namespace Cdc.Consumer.Tests;

[Collection(ServersCollection.Name)]
public sealed class ErrorPolicyTests(ServersFixture servers)
{
    [Fact]
    public async Task A_failing_event_is_retried_then_recorded_in_the_errors_table_then_skipped()
    {
        await using var stream = await TestStream.CreateAsync(servers.Nats.Url, nameof(A_failing_event_is_retried_then_recorded_in_the_errors_table_then_skipped));
        var database = await servers.Postgres.CreateDatabaseAsync("consumer_skip");
        await using var dataSource = NpgsqlDataSource.Create(servers.Postgres.ConnectionString(database));
        for (var i = 1; i <= 6; i++)
        {
            await stream.PublishAsync(TestStream.Row(Operation.Insert, "items", i, null, (ulong)i * 0x100));
        }

        var attempts = new List<(ulong Sequence, int Attempt)>();
        var options = new CdcConsumerOptions
        {
            Nats = new NatsOpts { Url = servers.Nats.Url },
            Stream = stream.Name,
            ConsumerName = "skipper",
            CursorStore = new PostgresCursorStore(dataSource),
            Retry = new RetryOptions { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(5) },
            ErrorPolicy = ErrorPolicy.Skip,
            ErrorSink = new PostgresErrorSink(dataSource),
        };
        await using var consumer = new CdcConsumer(options);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = consumer.RunAsync((evt, context, _) =>
        {
            lock (attempts)
            {
                attempts.Add((evt.StreamSequence, context.Attempt));
            }

            return evt.StreamSequence == 3 ? throw new InvalidOperationException("row 3 is poison") : ValueTask.CompletedTask;
        }, stop.Token);
        await Cdc.Testing.Eventually.UntilAsync(() => CursorOf(dataSource, "skipper") == 6, TimeSpan.FromSeconds(30), "the cursor to pass the last event", run);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal([(1UL, 1), (2UL, 1), (3UL, 1), (3UL, 2), (3UL, 3), (4UL, 1), (5UL, 1), (6UL, 1)], attempts);
        await using var command = dataSource.CreateCommand("SELECT consumer, stream_sequence, msg_id, subject, error, status, attempts FROM cdc_consumer_errors");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("skipper", reader.GetString(0));
        Assert.Equal(3L, reader.GetInt64(1));
        Assert.Equal("slot:0000000000000300:0", reader.GetString(2));
        Assert.Equal(stream.TableSubject("items"), reader.GetString(3));
        Assert.Equal("InvalidOperationException: row 3 is poison", reader.GetString(4));
        Assert.Equal("skipped", reader.GetString(5));
        Assert.Equal(3, reader.GetInt32(6));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task A_failing_event_is_retried_then_given_to_the_callback_then_the_consumer_stops_before_it()
    {
        await using var stream = await TestStream.CreateAsync(servers.Nats.Url, nameof(A_failing_event_is_retried_then_given_to_the_callback_then_the_consumer_stops_before_it));
        var database = await servers.Postgres.CreateDatabaseAsync("consumer_stop");
        await using var dataSource = NpgsqlDataSource.Create(servers.Postgres.ConnectionString(database));
        for (var i = 1; i <= 5; i++)
        {
            await stream.PublishAsync(TestStream.Row(Operation.Insert, "items", i, null, (ulong)i * 0x100));
        }

        var recorded = new List<ConsumerError>();
        var handled = new List<ulong>();
        var options = new CdcConsumerOptions
        {
            Nats = new NatsOpts { Url = servers.Nats.Url },
            Stream = stream.Name,
            ConsumerName = "stopper",
            CursorStore = new PostgresCursorStore(dataSource),
            Retry = new RetryOptions { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(5) },
            ErrorPolicy = ErrorPolicy.Stop,
            ErrorSink = new CallbackErrorSink((error, _) =>
            {
                recorded.Add(error);
                return ValueTask.CompletedTask;
            }),
        };
        await using var consumer = new CdcConsumer(options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var failed = await Assert.ThrowsAsync<CdcHandlerFailedException>(() => consumer.RunAsync((evt, _, _) =>
        {
            handled.Add(evt.StreamSequence);
            return evt.StreamSequence == 4 ? throw new FormatException("bad row") : ValueTask.CompletedTask;
        }, timeout.Token));

        Assert.Equal(4UL, failed.StreamSequence);
        Assert.IsType<FormatException>(failed.InnerException);
        Assert.Equal([1UL, 2, 3, 4, 4], handled);
        Assert.Equal(3UL, CursorOf(dataSource, "stopper"));
        var error = Assert.Single(recorded);
        Assert.Equal(("stopper", 4UL, "slot:0000000000000400:0", ConsumerErrorStatus.Stopped, 2), (error.Consumer, error.StreamSequence, error.MessageId, error.Status, error.Attempts));
        Assert.Equal("FormatException: bad row", error.Error);
    }

    private static ulong CursorOf(NpgsqlDataSource dataSource, string consumer)
    {
        using var command = dataSource.CreateCommand("SELECT stream_sequence FROM cdc_consumer_cursors WHERE consumer = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        try
        {
            return command.ExecuteScalar() is long sequence ? (ulong)sequence : 0;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }
}
