using Cdc.Listener.Pushing;
using static Cdc.Listener.Tests.Pushing.TestChunks;

namespace Cdc.Listener.Tests.Pushing;

public sealed class ChunkPusherBudgetTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private static ChunkPusher WithBudget(long bytes, ulong initialFlushLsn = 0)
        => new(new PusherOptions { MaxInFlightBytes = bytes }, initialFlushLsn);

    [Fact]
    public void Default_budget_is_64_MiB()
    {
        Assert.Equal(64L * 1024 * 1024, new ChunkPusher().MaxInFlightBytes);
    }

    [Fact]
    public void Budget_below_one_byte_is_rejected_naming_the_key()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => WithBudget(0));
        Assert.Contains("Cdc:Pusher:MaxInFlightBytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PushAsync_within_budget_completes_synchronously()
    {
        var pusher = WithBudget(100);

        Assert.True(CompletedSynchronously(pusher.PushAsync(Whole(1, 100, messages: 5, bytesPerMessage: 10))));
        Assert.True(CompletedSynchronously(pusher.PushAsync(Whole(2, 200, messages: 5, bytesPerMessage: 10))));
        Assert.Equal(100, pusher.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task PushAsync_over_budget_waits_until_an_ack_frees_enough_bytes()
    {
        var pusher = WithBudget(100);
        var first = Whole(1, 100, messages: 6, bytesPerMessage: 10);
        await pusher.PushAsync(first);

        var blocked = pusher.PushAsync(Whole(2, 200, messages: 5, bytesPerMessage: 10)).AsTask();

        Assert.False(blocked.IsCompleted);
        Assert.True(pusher.IsWaiting);
        Assert.Equal(60, pusher.Tracker.InFlightBytes);

        // Acking some messages of the chunk frees nothing: bytes are freed per chunk.
        for (var i = 0; i < 5; i++)
        {
            pusher.AckMessage(first[i]);
        }

        Assert.False(blocked.IsCompleted);
        Assert.True(pusher.IsWaiting);

        pusher.AckMessage(first[5]);

        await blocked.WaitAsync(Hang);
        Assert.False(pusher.IsWaiting);
        Assert.Equal(50, pusher.Tracker.InFlightBytes);
        Assert.Equal(1, pusher.Counters.PushWaits);
        Assert.True(pusher.Counters.PushWaitTime > TimeSpan.Zero);
    }

    [Fact]
    public void PushAsync_huge_chunk_is_admitted_when_nothing_is_in_flight()
    {
        var pusher = WithBudget(100);

        Assert.True(CompletedSynchronously(pusher.PushAsync(Whole(1, 100, messages: 3, bytesPerMessage: 1000))));
        Assert.Equal(3000, pusher.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task PushAsync_huge_chunk_waits_for_everything_in_flight_then_is_admitted()
    {
        var pusher = WithBudget(100);
        var a = Whole(1, 100, messages: 1, bytesPerMessage: 10);
        var b = Whole(2, 200, messages: 1, bytesPerMessage: 10);
        await pusher.PushAsync(a);
        await pusher.PushAsync(b);

        var huge = pusher.PushAsync(Whole(3, 300, messages: 1, bytesPerMessage: 5000)).AsTask();
        pusher.Ack(b);
        Assert.False(huge.IsCompleted);
        pusher.Ack(a);

        await huge.WaitAsync(Hang);
        Assert.Equal(5000, pusher.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task PushAsync_while_huge_chunk_is_in_flight_waits_for_it()
    {
        var pusher = WithBudget(100);
        var huge = Whole(1, 100, messages: 1, bytesPerMessage: 5000);
        await pusher.PushAsync(huge);

        var next = pusher.PushAsync(Whole(2, 200, messages: 1, bytesPerMessage: 1)).AsTask();
        Assert.False(next.IsCompleted);

        pusher.Ack(huge);
        await next.WaitAsync(Hang);
    }

    [Fact]
    public async Task PushAsync_of_an_empty_chunk_never_waits_and_completes_its_transaction()
    {
        var pusher = WithBudget(100);
        await pusher.PushAsync(Whole(1, 100, messages: 1, bytesPerMessage: 5000));

        var empty = new Chunk(2, 199, 200, 0, isLastOfTransaction: true);
        Assert.True(CompletedSynchronously(pusher.PushAsync(empty)));
        Assert.True(empty.IsAcknowledged);
        Assert.Equal(2, pusher.Tracker.PendingTransactions);
    }

    [Fact]
    public async Task PushAsync_cancelled_while_waiting_does_not_push_the_chunk()
    {
        var pusher = WithBudget(100);
        var first = Whole(1, 100, messages: 1, bytesPerMessage: 100);
        await pusher.PushAsync(first);
        var second = Whole(2, 200, messages: 1, bytesPerMessage: 50);
        using var cancel = new CancellationTokenSource();

        var blocked = pusher.PushAsync(second, cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked.WaitAsync(Hang));
        Assert.False(pusher.IsWaiting);
        Assert.Equal(1, pusher.Tracker.PendingTransactions);

        // The ack finds no waiter; the same chunk can be pushed again afterwards.
        Assert.True(pusher.Ack(first));
        await pusher.PushAsync(second);
        Assert.Equal(50, pusher.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task PushAsync_while_another_push_waits_throws()
    {
        var pusher = WithBudget(10);
        var first = Whole(1, 100, messages: 1, bytesPerMessage: 10);
        await pusher.PushAsync(first);
        var blocked = pusher.PushAsync(Whole(2, 200, messages: 1, bytesPerMessage: 10)).AsTask();

        await Assert.ThrowsAsync<InvalidOperationException>(() => pusher.PushAsync(Whole(3, 300)).AsTask());

        pusher.Ack(first);
        await blocked.WaitAsync(Hang);
    }

    [Fact]
    public async Task Fail_faults_the_waiting_push_and_every_later_push()
    {
        var pusher = WithBudget(10);
        await pusher.PushAsync(Whole(1, 100, messages: 1, bytesPerMessage: 10));
        var blocked = pusher.PushAsync(Whole(2, 200, messages: 1, bytesPerMessage: 10)).AsTask();
        var cause = new InvalidOperationException("stream deleted");

        pusher.Fail(cause);

        var waitingError = await Assert.ThrowsAsync<PushingException>(() => blocked.WaitAsync(Hang));
        Assert.Same(cause, waitingError.InnerException);
        var laterError = await Assert.ThrowsAsync<PushingException>(() => pusher.PushAsync(Whole(2, 200)).AsTask());
        Assert.Same(cause, laterError.InnerException);
    }
}
