using Cdc.Listener.Delivery;
using static Cdc.Listener.Tests.Delivery.TestChunks;

namespace Cdc.Listener.Tests.Delivery;

public sealed class DeliveryLedgerAckTests
{
    [Fact]
    public async Task Ack_returns_true_only_for_the_ack_that_completes_the_transaction()
    {
        var ledger = new DeliveryLedger();
        var a = Make(1, 100, 0, 2, last: false);
        var b = Make(1, 100, 2, 2, last: false);
        var c = Make(1, 100, 4, 1, last: true);
        await ledger.PushAsync(a);
        await ledger.PushAsync(b);
        await ledger.PushAsync(c);

        Assert.False(ledger.Ack(c));
        Assert.False(ledger.Ack(a));
        Assert.True(ledger.Ack(b));
        Assert.Equal(1, ledger.Counters.DeliveredTransactions);
    }

    [Fact]
    public async Task Ack_of_every_pushed_chunk_is_not_delivery_until_the_last_chunk_was_pushed()
    {
        var ledger = new DeliveryLedger();
        var first = Make(1, 100, 0, 1, last: false);
        await ledger.PushAsync(first);

        Assert.False(ledger.Ack(first));
        Assert.Equal(0UL, ledger.Tracker.FlushLsn);

        var last = Make(1, 100, 1, 1, last: true);
        await ledger.PushAsync(last);
        Assert.True(ledger.Ack(last));
        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task Ack_of_the_same_chunk_twice_throws_and_is_counted()
    {
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100, messages: 3);
        await ledger.PushAsync(chunk);
        Assert.True(ledger.Ack(chunk));

        Assert.Throws<DuplicateAckException>(() => ledger.Ack(chunk));
        Assert.Equal(1, ledger.Counters.DuplicateAcks);
        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
        Assert.Equal(0, ledger.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task AckMessage_of_the_same_message_twice_throws_even_while_others_are_outstanding()
    {
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100, messages: 3);
        await ledger.PushAsync(chunk);
        ledger.AckMessage(chunk[1]);

        Assert.Throws<DuplicateAckException>(() => ledger.AckMessage(chunk[1]));
        Assert.Equal(1, ledger.Counters.DuplicateAcks);
        Assert.Equal(2, chunk.OutstandingAcks);
        Assert.False(chunk.IsAcknowledged);
    }

    [Fact]
    public async Task AckMessage_after_the_whole_chunk_was_acked_throws()
    {
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100, messages: 2);
        await ledger.PushAsync(chunk);
        ledger.Ack(chunk);

        Assert.Throws<DuplicateAckException>(() => ledger.AckMessage(chunk[0]));
    }

    [Fact]
    public async Task Ack_of_a_chunk_after_some_of_its_messages_acks_the_rest()
    {
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100, messages: 3);
        await ledger.PushAsync(chunk);
        ledger.AckMessage(chunk[0]);

        Assert.True(ledger.Ack(chunk));
        Assert.Equal(3, ledger.Counters.AckedMessages);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(200)]
    public async Task AckMessage_completes_the_chunk_only_when_every_message_is_in(int messages)
    {
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100, messages);
        await ledger.PushAsync(chunk);

        // Reverse order: the ack hint misses and the lookup falls back to a scan.
        for (var i = messages - 1; i > 0; i--)
        {
            Assert.False(ledger.AckMessage(chunk[i]));
        }

        Assert.False(chunk.IsAcknowledged);
        Assert.True(ledger.AckMessage(chunk[0]));
        Assert.True(chunk.IsAcknowledged);
        Assert.Throws<DuplicateAckException>(() => ledger.Ack(chunk));
        Assert.Throws<DuplicateAckException>(() => ledger.AckMessage(chunk[messages - 1]));
    }

    [Fact]
    public void Ack_of_a_chunk_never_pushed_throws()
    {
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100);

        Assert.Throws<InvalidOperationException>(() => ledger.Ack(chunk));
        Assert.Throws<InvalidOperationException>(() => ledger.AckMessage(chunk[0]));
    }

    [Fact]
    public async Task AckMessage_of_a_message_not_carrying_its_chunk_throws()
    {
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100);
        await ledger.PushAsync(chunk);
        var other = Whole(2, 200);
        var stray = Message(chunk, "stray", 1);

        Assert.Throws<ArgumentException>(() => ledger.AckMessage(stray));
        Assert.Throws<InvalidOperationException>(() => ledger.AckMessage(other[0]));
    }

    [Fact]
    public async Task Ack_of_an_empty_chunk_throws_because_it_was_acknowledged_at_push()
    {
        var ledger = new DeliveryLedger();
        var empty = new Chunk(1, 99, 100, 0, isLastOfTransaction: true);
        await ledger.PushAsync(empty);

        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
        Assert.Throws<DuplicateAckException>(() => ledger.Ack(empty));
    }

    [Fact]
    public async Task Rented_buffers_go_back_to_their_pool_after_the_last_ack_and_not_before()
    {
        var pool = new RecordingPool();
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100, messages: 2);
        var buffer = pool.Rent(64);
        chunk.AddRentedBuffer(buffer, pool);
        await ledger.PushAsync(chunk);

        ledger.AckMessage(chunk[0]);
        Assert.Empty(pool.Returned);

        ledger.AckMessage(chunk[1]);
        Assert.Same(buffer, Assert.Single(pool.Returned));
    }

    [Fact]
    public async Task Rented_buffers_of_an_empty_chunk_go_back_at_push()
    {
        var pool = new RecordingPool();
        var ledger = new DeliveryLedger();
        var empty = new Chunk(1, 99, 100, 0, isLastOfTransaction: true);
        empty.AddRentedBuffer(pool.Rent(8), pool);

        await ledger.PushAsync(empty);

        Assert.Single(pool.Returned);
    }

    [Fact]
    public async Task Counters_add_up_after_a_mixed_run()
    {
        var ledger = new DeliveryLedger();
        var a = Whole(1, 100, messages: 2, bytesPerMessage: 5);
        var b = Whole(2, 200, messages: 3, bytesPerMessage: 7);
        await ledger.PushAsync(a);
        await ledger.PushAsync(b);
        ledger.Ack(a);
        AckAllMessages(ledger, b);

        var counters = ledger.Counters;
        Assert.Equal(2, counters.PushedChunks);
        Assert.Equal(5, counters.PushedMessages);
        Assert.Equal(31, counters.PushedBytes);
        Assert.Equal(2, counters.AckedChunks);
        Assert.Equal(5, counters.AckedMessages);
        Assert.Equal(31, counters.AckedBytes);
        Assert.Equal(2, counters.DeliveredTransactions);
        Assert.Equal(0, counters.DuplicateAcks);
        Assert.Equal(0, counters.PushWaits);
    }
}
