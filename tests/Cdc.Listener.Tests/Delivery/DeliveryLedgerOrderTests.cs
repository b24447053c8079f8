using Cdc.Listener.Delivery;
using static Cdc.Listener.Tests.Delivery.TestChunks;

namespace Cdc.Listener.Tests.Delivery;

public sealed class DeliveryLedgerOrderTests
{
    [Fact]
    public async Task PushAsync_chunks_in_commit_order_are_all_admitted()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Make(1, 100, 0, 3, last: false));
        await ledger.PushAsync(Make(1, 100, 3, 2, last: true));
        await ledger.PushAsync(Whole(2, 200));
        await ledger.PushAsync(Make(3, 300, 0, 1, last: false));

        Assert.Equal(4, ledger.Counters.PushedChunks);
        Assert.Equal(7, ledger.Counters.PushedMessages);
        Assert.Equal(3, ledger.Tracker.PendingTransactions);
        Assert.Equal(4, ledger.Tracker.PendingChunks);
        Assert.Equal(70, ledger.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task PushAsync_next_transaction_before_the_last_chunk_of_the_previous_throws()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Make(1, 100, 0, 2, last: false));

        var error = await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Whole(2, 200)).AsTask());
        Assert.Contains("before the last chunk of transaction 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushAsync_gap_in_transaction_sequence_throws()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Whole(1, 100));

        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Whole(3, 300)).AsTask());
    }

    [Fact]
    public async Task PushAsync_repeated_transaction_sequence_throws()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Whole(1, 100));

        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Whole(1, 100)).AsTask());
    }

    [Fact]
    public async Task PushAsync_gap_in_change_index_within_a_transaction_throws()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Make(1, 100, 0, 3, last: false));

        var error = await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Make(1, 100, 4, 1, last: true)).AsTask());
        Assert.Contains("expected 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushAsync_first_chunk_of_a_transaction_not_at_index_zero_throws()
    {
        var ledger = new DeliveryLedger();

        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Make(1, 100, 2, 1, last: true)).AsTask());
    }

    [Fact]
    public async Task PushAsync_transaction_not_ending_after_the_previous_one_throws()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Whole(1, 200));

        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Whole(2, 200)).AsTask());
        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Whole(2, 150)).AsTask());
    }

    [Fact]
    public async Task PushAsync_chunk_with_other_lsns_than_its_transaction_throws()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Make(1, 100, 0, 1, last: false));

        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Make(1, 101, 1, 1, last: true)).AsTask());
    }

    [Fact]
    public async Task PushAsync_same_chunk_twice_throws()
    {
        var ledger = new DeliveryLedger();
        var chunk = Make(1, 100, 0, 1, last: false);
        await ledger.PushAsync(chunk);

        await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.PushAsync(chunk).AsTask());
    }

    [Fact]
    public async Task PushAsync_refused_chunk_leaves_the_order_unchanged()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Whole(1, 100));
        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Whole(5, 500)).AsTask());

        await ledger.PushAsync(Whole(2, 200));

        Assert.Equal(2, ledger.Counters.PushedChunks);
    }

    [Fact]
    public async Task PushAsync_transaction_at_or_below_the_initial_flush_lsn_is_refused()
    {
        var ledger = new DeliveryLedger(initialFlushLsn: 500);

        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Whole(1, 500)).AsTask());
        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Whole(1, 400)).AsTask());
        await ledger.PushAsync(Whole(1, 501));
    }

    [Fact]
    public void ShouldSkip_is_true_at_or_below_the_confirmed_position_on_resume()
    {
        var ledger = new DeliveryLedger(initialFlushLsn: 500);

        Assert.True(ledger.ShouldSkip(400));
        Assert.True(ledger.ShouldSkip(500));
        Assert.False(ledger.ShouldSkip(501));
    }

    [Fact]
    public async Task ShouldSkip_is_true_for_a_fully_pushed_transaction_and_false_for_one_still_being_pushed()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Whole(1, 100));
        await ledger.PushAsync(Make(2, 200, 0, 1, last: false));

        Assert.True(ledger.ShouldSkip(100));
        Assert.False(ledger.ShouldSkip(200));
        Assert.False(ledger.ShouldSkip(300));
    }

    [Fact]
    public void Chunk_cannot_change_after_it_was_pushed()
    {
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100);
        Assert.True(CompletedSynchronously(ledger.PushAsync(chunk)));

        Assert.Throws<InvalidOperationException>(() => chunk.Add(Message(chunk, "x", 1)));
    }
}
