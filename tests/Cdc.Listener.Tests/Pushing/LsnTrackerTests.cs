using Cdc.Listener.Pushing;
using static Cdc.Listener.Tests.Pushing.TestChunks;

namespace Cdc.Listener.Tests.Pushing;

public sealed class LsnTrackerTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public void FlushLsn_starts_at_the_slots_confirmed_position()
    {
        var pusher = new ChunkPusher(initialFlushLsn: 0x1_0000_0000);

        Assert.Equal(0x1_0000_0000UL, pusher.Tracker.FlushLsn);
        Assert.Equal(0x1_0000_0000UL, pusher.Tracker.InitialFlushLsn);
        Assert.True(pusher.Tracker.IsIdle);
    }

    [Fact]
    public async Task FlushLsn_waits_for_every_earlier_transaction_when_acks_come_out_of_order()
    {
        var pusher = new ChunkPusher(initialFlushLsn: 50);
        var t1 = Whole(1, 100);
        var t2 = Whole(2, 200);
        var t3 = Whole(3, 300);
        await pusher.PushAsync(t1);
        await pusher.PushAsync(t2);
        await pusher.PushAsync(t3);

        Assert.True(pusher.Ack(t3));
        Assert.Equal(50UL, pusher.Tracker.FlushLsn);
        Assert.True(pusher.Ack(t2));
        Assert.Equal(50UL, pusher.Tracker.FlushLsn);
        Assert.Equal(3, pusher.Tracker.PendingTransactions);

        Assert.True(pusher.Ack(t1));
        Assert.Equal(300UL, pusher.Tracker.FlushLsn);
        Assert.Equal(0, pusher.Tracker.PendingTransactions);
        Assert.Equal(0, pusher.Tracker.PendingChunks);
        Assert.Equal(0, pusher.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task WaitForAdvanceAsync_completes_when_the_flush_lsn_moves_and_not_before()
    {
        var pusher = new ChunkPusher();
        var t1 = Make(1, 100, 0, 1, last: false);
        await pusher.PushAsync(t1);

        var advanced = pusher.Tracker.WaitForAdvanceAsync(0).AsTask();
        pusher.Ack(t1);
        Assert.False(advanced.IsCompleted);

        var t1End = Make(1, 100, 1, 1, last: true);
        await pusher.PushAsync(t1End);
        Assert.False(advanced.IsCompleted);
        pusher.Ack(t1End);

        Assert.Equal(100UL, await advanced.WaitAsync(Hang));
    }

    [Fact]
    public async Task WaitForAdvanceAsync_returns_at_once_when_the_flush_lsn_is_already_past()
    {
        var pusher = new ChunkPusher(initialFlushLsn: 500);

        Assert.Equal(500UL, await pusher.Tracker.WaitForAdvanceAsync(400));
    }

    [Fact]
    public async Task WaitForAdvanceAsync_can_be_cancelled()
    {
        var pusher = new ChunkPusher();
        using var cancel = new CancellationTokenSource();
        var advanced = pusher.Tracker.WaitForAdvanceAsync(0, cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => advanced.WaitAsync(Hang));
    }

    [Fact]
    public async Task WaitForAdvanceAsync_wakes_every_waiter_of_the_round()
    {
        var pusher = new ChunkPusher();
        var first = pusher.Tracker.WaitForAdvanceAsync(0).AsTask();
        var second = pusher.Tracker.WaitForAdvanceAsync(0).AsTask();

        Assert.True(pusher.Tracker.ObserveKeepalive(700, upstreamIdle: true));

        Assert.Equal(700UL, await first.WaitAsync(Hang));
        Assert.Equal(700UL, await second.WaitAsync(Hang));
    }

    [Fact]
    public void ObserveKeepalive_on_an_idle_database_moves_the_flush_lsn_to_the_wal_end()
    {
        var pusher = new ChunkPusher(initialFlushLsn: 100);

        Assert.True(pusher.Tracker.ObserveKeepalive(900, upstreamIdle: true));

        Assert.Equal(900UL, pusher.Tracker.FlushLsn);
    }

    [Fact]
    public async Task ObserveKeepalive_does_not_move_the_flush_lsn_while_a_transaction_is_unacknowledged()
    {
        var pusher = new ChunkPusher(initialFlushLsn: 100);
        var pending = Whole(1, 200);
        await pusher.PushAsync(pending);

        Assert.False(pusher.Tracker.ObserveKeepalive(900, upstreamIdle: true));
        Assert.Equal(100UL, pusher.Tracker.FlushLsn);

        pusher.Ack(pending);
        Assert.Equal(200UL, pusher.Tracker.FlushLsn);
        Assert.True(pusher.Tracker.ObserveKeepalive(900, upstreamIdle: true));
        Assert.Equal(900UL, pusher.Tracker.FlushLsn);
    }

    [Fact]
    public async Task ObserveKeepalive_does_not_move_the_flush_lsn_while_a_transaction_is_partly_pushed()
    {
        var pusher = new ChunkPusher();
        var first = Make(1, 200, 0, 1, last: false);
        await pusher.PushAsync(first);
        pusher.Ack(first);

        Assert.False(pusher.Tracker.ObserveKeepalive(900, upstreamIdle: true));
        Assert.Equal(0UL, pusher.Tracker.FlushLsn);
    }

    [Fact]
    public void ObserveKeepalive_does_not_move_the_flush_lsn_while_the_decoder_holds_a_transaction()
    {
        var pusher = new ChunkPusher(initialFlushLsn: 100);

        Assert.False(pusher.Tracker.ObserveKeepalive(900, upstreamIdle: false));

        Assert.Equal(100UL, pusher.Tracker.FlushLsn);
    }

    [Fact]
    public void ObserveKeepalive_never_moves_the_flush_lsn_back()
    {
        var pusher = new ChunkPusher(initialFlushLsn: 500);

        Assert.False(pusher.Tracker.ObserveKeepalive(400, upstreamIdle: true));

        Assert.Equal(500UL, pusher.Tracker.FlushLsn);
    }

    [Fact]
    public async Task Transaction_at_or_below_a_keepalive_confirmed_position_is_refused()
    {
        var pusher = new ChunkPusher();
        var first = Whole(1, 100);
        await pusher.PushAsync(first);
        pusher.Ack(first);
        Assert.True(pusher.Tracker.ObserveKeepalive(900, upstreamIdle: true));

        Assert.True(pusher.ShouldSkip(900));
        await Assert.ThrowsAsync<ChunkOrderException>(() => pusher.PushAsync(Whole(2, 900)).AsTask());
        await pusher.PushAsync(Whole(2, 901));
        Assert.Equal(900UL, pusher.Tracker.FlushLsn);
    }
}
