using Cdc.Listener.Pushing;
using static Cdc.Listener.Tests.Pushing.TestChunks;

namespace Cdc.Listener.Tests.Pushing;

public sealed class ChunkPusherAckTests
{
    [Fact]
    public async Task Ack_returns_true_only_for_the_ack_that_completes_the_transaction()
    {
        var pusher = new ChunkPusher();
        var a = Make(1, 100, 0, 2, last: false);
        var b = Make(1, 100, 2, 2, last: false);
        var c = Make(1, 100, 4, 1, last: true);
        await pusher.PushAsync(a);
        await pusher.PushAsync(b);
        await pusher.PushAsync(c);

        Assert.False(pusher.Ack(c));
        Assert.False(pusher.Ack(a));
        Assert.True(pusher.Ack(b));
        Assert.Equal(1, pusher.Counters.DeliveredTransactions);
    }

    [Fact]
    public async Task Ack_of_every_pushed_chunk_is_not_delivery_until_the_last_chunk_was_pushed()
    {
        var pusher = new ChunkPusher();
        var first = Make(1, 100, 0, 1, last: false);
        await pusher.PushAsync(first);

        Assert.False(pusher.Ack(first));
        Assert.Equal(0UL, pusher.Tracker.FlushLsn);

        var last = Make(1, 100, 1, 1, last: true);
        await pusher.PushAsync(last);
        Assert.True(pusher.Ack(last));
        Assert.Equal(100UL, pusher.Tracker.FlushLsn);
    }

    [Fact]
    public async Task Ack_of_the_same_chunk_twice_throws_and_is_counted()
    {
        var pusher = new ChunkPusher();
        var chunk = Whole(1, 100, messages: 3);
        await pusher.PushAsync(chunk);
        Assert.True(pusher.Ack(chunk));

        Assert.Throws<DuplicateAckException>(() => pusher.Ack(chunk));
        Assert.Equal(1, pusher.Counters.DuplicateAcks);
        Assert.Equal(100UL, pusher.Tracker.FlushLsn);
        Assert.Equal(0, pusher.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task AckMessage_of_the_same_message_twice_throws_even_while_others_are_outstanding()
    {
        var pusher = new ChunkPusher();
        var chunk = Whole(1, 100, messages: 3);
        await pusher.PushAsync(chunk);
        pusher.AckMessage(chunk[1]);

        Assert.Throws<DuplicateAckException>(() => pusher.AckMessage(chunk[1]));
        Assert.Equal(1, pusher.Counters.DuplicateAcks);
        Assert.Equal(2, chunk.OutstandingAcks);
        Assert.False(chunk.IsAcknowledged);
    }

    [Fact]
    public async Task AckMessage_after_the_whole_chunk_was_acked_throws()
    {
        var pusher = new ChunkPusher();
        var chunk = Whole(1, 100, messages: 2);
        await pusher.PushAsync(chunk);
        pusher.Ack(chunk);

        Assert.Throws<DuplicateAckException>(() => pusher.AckMessage(chunk[0]));
    }

    [Fact]
    public async Task Ack_of_a_chunk_after_some_of_its_messages_acks_the_rest()
    {
        var pusher = new ChunkPusher();
        var chunk = Whole(1, 100, messages: 3);
        await pusher.PushAsync(chunk);
        pusher.AckMessage(chunk[0]);

        Assert.True(pusher.Ack(chunk));
        Assert.Equal(3, pusher.Counters.AckedMessages);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(200)]
    public async Task AckMessage_completes_the_chunk_only_when_every_message_is_in(int messages)
    {
        var pusher = new ChunkPusher();
        var chunk = Whole(1, 100, messages);
        await pusher.PushAsync(chunk);

        // Reverse order: the ack hint misses and the lookup falls back to a scan.
        for (var i = messages - 1; i > 0; i--)
        {
            Assert.False(pusher.AckMessage(chunk[i]));
        }

        Assert.False(chunk.IsAcknowledged);
        Assert.True(pusher.AckMessage(chunk[0]));
        Assert.True(chunk.IsAcknowledged);
        Assert.Throws<DuplicateAckException>(() => pusher.Ack(chunk));
        Assert.Throws<DuplicateAckException>(() => pusher.AckMessage(chunk[messages - 1]));
    }

    [Fact]
    public void Ack_of_a_chunk_never_pushed_throws()
    {
        var pusher = new ChunkPusher();
        var chunk = Whole(1, 100);

        Assert.Throws<InvalidOperationException>(() => pusher.Ack(chunk));
        Assert.Throws<InvalidOperationException>(() => pusher.AckMessage(chunk[0]));
    }

    [Fact]
    public async Task AckMessage_of_a_message_not_carrying_its_chunk_throws()
    {
        var pusher = new ChunkPusher();
        var chunk = Whole(1, 100);
        await pusher.PushAsync(chunk);
        var other = Whole(2, 200);
        var stray = Message(chunk, "stray", 1);

        Assert.Throws<ArgumentException>(() => pusher.AckMessage(stray));
        Assert.Throws<InvalidOperationException>(() => pusher.AckMessage(other[0]));
    }

    [Fact]
    public async Task Ack_of_an_empty_chunk_throws_because_it_was_acknowledged_at_push()
    {
        var pusher = new ChunkPusher();
        var empty = new Chunk(1, 99, 100, 0, isLastOfTransaction: true);
        await pusher.PushAsync(empty);

        Assert.Equal(100UL, pusher.Tracker.FlushLsn);
        Assert.Throws<DuplicateAckException>(() => pusher.Ack(empty));
    }

    [Fact]
    public async Task Rented_buffers_go_back_to_their_pool_after_the_last_ack_and_not_before()
    {
        var pool = new RecordingPool();
        var pusher = new ChunkPusher();
        var chunk = Whole(1, 100, messages: 2);
        var buffer = pool.Rent(64);
        chunk.AddRentedBuffer(buffer, pool);
        await pusher.PushAsync(chunk);

        pusher.AckMessage(chunk[0]);
        Assert.Empty(pool.Returned);

        pusher.AckMessage(chunk[1]);
        Assert.Same(buffer, Assert.Single(pool.Returned));
    }

    [Fact]
    public async Task Rented_buffers_of_an_empty_chunk_go_back_at_push()
    {
        var pool = new RecordingPool();
        var pusher = new ChunkPusher();
        var empty = new Chunk(1, 99, 100, 0, isLastOfTransaction: true);
        empty.AddRentedBuffer(pool.Rent(8), pool);

        await pusher.PushAsync(empty);

        Assert.Single(pool.Returned);
    }

    [Fact]
    public async Task Counters_add_up_after_a_mixed_run()
    {
        var pusher = new ChunkPusher();
        var a = Whole(1, 100, messages: 2, bytesPerMessage: 5);
        var b = Whole(2, 200, messages: 3, bytesPerMessage: 7);
        await pusher.PushAsync(a);
        await pusher.PushAsync(b);
        pusher.Ack(a);
        AckAllMessages(pusher, b);

        var counters = pusher.Counters;
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
