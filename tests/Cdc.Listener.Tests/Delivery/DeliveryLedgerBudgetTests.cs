using Cdc.Listener.Delivery;
using static Cdc.Listener.Tests.Delivery.TestChunks;

namespace Cdc.Listener.Tests.Delivery;

public sealed class DeliveryLedgerBudgetTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private static DeliveryLedger WithBudget(long bytes, ulong initialFlushLsn = 0)
        => new(new LedgerOptions { MaxInFlightBytes = bytes }, initialFlushLsn);

    [Fact]
    public void Default_budget_is_64_MiB()
    {
        Assert.Equal(64L * 1024 * 1024, new DeliveryLedger().MaxInFlightBytes);
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
        var ledger = WithBudget(100);

        Assert.True(CompletedSynchronously(ledger.PushAsync(Whole(1, 100, messages: 5, bytesPerMessage: 10))));
        Assert.True(CompletedSynchronously(ledger.PushAsync(Whole(2, 200, messages: 5, bytesPerMessage: 10))));
        Assert.Equal(100, ledger.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task PushAsync_over_budget_waits_until_an_ack_frees_enough_bytes()
    {
        var ledger = WithBudget(100);
        var first = Whole(1, 100, messages: 6, bytesPerMessage: 10);
        await ledger.PushAsync(first);

        var blocked = ledger.PushAsync(Whole(2, 200, messages: 5, bytesPerMessage: 10)).AsTask();

        Assert.False(blocked.IsCompleted);
        Assert.True(ledger.IsWaiting);
        Assert.Equal(60, ledger.Tracker.InFlightBytes);

        // Acking some messages of the chunk frees nothing: bytes are freed per chunk.
        for (var i = 0; i < 5; i++)
        {
            ledger.AckMessage(first[i]);
        }

        Assert.False(blocked.IsCompleted);
        Assert.True(ledger.IsWaiting);

        ledger.AckMessage(first[5]);

        await blocked.WaitAsync(Hang);
        Assert.False(ledger.IsWaiting);
        Assert.Equal(50, ledger.Tracker.InFlightBytes);
        Assert.Equal(1, ledger.Counters.PushWaits);
        Assert.True(ledger.Counters.PushWaitTime > TimeSpan.Zero);
    }

    [Fact]
    public void PushAsync_huge_chunk_is_admitted_when_nothing_is_in_flight()
    {
        var ledger = WithBudget(100);

        Assert.True(CompletedSynchronously(ledger.PushAsync(Whole(1, 100, messages: 3, bytesPerMessage: 1000))));
        Assert.Equal(3000, ledger.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task PushAsync_huge_chunk_waits_for_everything_in_flight_then_is_admitted()
    {
        var ledger = WithBudget(100);
        var a = Whole(1, 100, messages: 1, bytesPerMessage: 10);
        var b = Whole(2, 200, messages: 1, bytesPerMessage: 10);
        await ledger.PushAsync(a);
        await ledger.PushAsync(b);

        var huge = ledger.PushAsync(Whole(3, 300, messages: 1, bytesPerMessage: 5000)).AsTask();
        ledger.Ack(b);
        Assert.False(huge.IsCompleted);
        ledger.Ack(a);

        await huge.WaitAsync(Hang);
        Assert.Equal(5000, ledger.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task PushAsync_while_huge_chunk_is_in_flight_waits_for_it()
    {
        var ledger = WithBudget(100);
        var huge = Whole(1, 100, messages: 1, bytesPerMessage: 5000);
        await ledger.PushAsync(huge);

        var next = ledger.PushAsync(Whole(2, 200, messages: 1, bytesPerMessage: 1)).AsTask();
        Assert.False(next.IsCompleted);

        ledger.Ack(huge);
        await next.WaitAsync(Hang);
    }

    [Fact]
    public async Task PushAsync_of_an_empty_chunk_never_waits_and_completes_its_transaction()
    {
        var ledger = WithBudget(100);
        await ledger.PushAsync(Whole(1, 100, messages: 1, bytesPerMessage: 5000));

        var empty = new Chunk(2, 199, 200, 0, isLastOfTransaction: true);
        Assert.True(CompletedSynchronously(ledger.PushAsync(empty)));
        Assert.True(empty.IsAcknowledged);
        Assert.Equal(2, ledger.Tracker.PendingTransactions);
    }

    [Fact]
    public async Task PushAsync_cancelled_while_waiting_does_not_push_the_chunk()
    {
        var ledger = WithBudget(100);
        var first = Whole(1, 100, messages: 1, bytesPerMessage: 100);
        await ledger.PushAsync(first);
        var second = Whole(2, 200, messages: 1, bytesPerMessage: 50);
        using var cancel = new CancellationTokenSource();

        var blocked = ledger.PushAsync(second, cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked.WaitAsync(Hang));
        Assert.False(ledger.IsWaiting);
        Assert.Equal(1, ledger.Tracker.PendingTransactions);

        // The ack finds no waiter; the same chunk can be pushed again afterwards.
        Assert.True(ledger.Ack(first));
        await ledger.PushAsync(second);
        Assert.Equal(50, ledger.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task PushAsync_while_another_push_waits_throws()
    {
        var ledger = WithBudget(10);
        var first = Whole(1, 100, messages: 1, bytesPerMessage: 10);
        await ledger.PushAsync(first);
        var blocked = ledger.PushAsync(Whole(2, 200, messages: 1, bytesPerMessage: 10)).AsTask();

        await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.PushAsync(Whole(3, 300)).AsTask());

        ledger.Ack(first);
        await blocked.WaitAsync(Hang);
    }

    [Fact]
    public async Task Fail_faults_the_waiting_push_and_every_later_push()
    {
        var ledger = WithBudget(10);
        await ledger.PushAsync(Whole(1, 100, messages: 1, bytesPerMessage: 10));
        var blocked = ledger.PushAsync(Whole(2, 200, messages: 1, bytesPerMessage: 10)).AsTask();
        var cause = new InvalidOperationException("stream deleted");

        ledger.Fail(cause);

        var waitingError = await Assert.ThrowsAsync<DeliveryException>(() => blocked.WaitAsync(Hang));
        Assert.Same(cause, waitingError.InnerException);
        var laterError = await Assert.ThrowsAsync<DeliveryException>(() => ledger.PushAsync(Whole(2, 200)).AsTask());
        Assert.Same(cause, laterError.InnerException);
    }
}
