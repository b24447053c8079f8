using Cdc.Listener.Delivery;
using static Cdc.Listener.Tests.Delivery.TestChunks;

namespace Cdc.Listener.Tests.Delivery;

public sealed class LsnTrackerTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public void FlushLsn_starts_at_the_slots_confirmed_position()
    {
        var ledger = new DeliveryLedger(initialFlushLsn: 0x1_0000_0000);

        Assert.Equal(0x1_0000_0000UL, ledger.Tracker.FlushLsn);
        Assert.Equal(0x1_0000_0000UL, ledger.Tracker.InitialFlushLsn);
        Assert.True(ledger.Tracker.IsIdle);
    }

    [Fact]
    public async Task FlushLsn_waits_for_every_earlier_transaction_when_acks_come_out_of_order()
    {
        var ledger = new DeliveryLedger(initialFlushLsn: 50);
        var t1 = Whole(1, 100);
        var t2 = Whole(2, 200);
        var t3 = Whole(3, 300);
        await ledger.PushAsync(t1);
        await ledger.PushAsync(t2);
        await ledger.PushAsync(t3);

        Assert.True(ledger.Ack(t3));
        Assert.Equal(50UL, ledger.Tracker.FlushLsn);
        Assert.True(ledger.Ack(t2));
        Assert.Equal(50UL, ledger.Tracker.FlushLsn);
        Assert.Equal(3, ledger.Tracker.PendingTransactions);

        Assert.True(ledger.Ack(t1));
        Assert.Equal(300UL, ledger.Tracker.FlushLsn);
        Assert.Equal(0, ledger.Tracker.PendingTransactions);
        Assert.Equal(0, ledger.Tracker.PendingChunks);
        Assert.Equal(0, ledger.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task WaitForAdvanceAsync_completes_when_the_flush_lsn_moves_and_not_before()
    {
        var ledger = new DeliveryLedger();
        var t1 = Make(1, 100, 0, 1, last: false);
        await ledger.PushAsync(t1);

        var advanced = ledger.Tracker.WaitForAdvanceAsync(0).AsTask();
        ledger.Ack(t1);
        Assert.False(advanced.IsCompleted);

        var t1End = Make(1, 100, 1, 1, last: true);
        await ledger.PushAsync(t1End);
        Assert.False(advanced.IsCompleted);
        ledger.Ack(t1End);

        Assert.Equal(100UL, await advanced.WaitAsync(Hang));
    }

    [Fact]
    public async Task WaitForAdvanceAsync_returns_at_once_when_the_flush_lsn_is_already_past()
    {
        var ledger = new DeliveryLedger(initialFlushLsn: 500);

        Assert.Equal(500UL, await ledger.Tracker.WaitForAdvanceAsync(400));
    }

    [Fact]
    public async Task WaitForAdvanceAsync_can_be_cancelled()
    {
        var ledger = new DeliveryLedger();
        using var cancel = new CancellationTokenSource();
        var advanced = ledger.Tracker.WaitForAdvanceAsync(0, cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => advanced.WaitAsync(Hang));
    }

    [Fact]
    public async Task WaitForAdvanceAsync_wakes_every_waiter_of_the_round()
    {
        var ledger = new DeliveryLedger();
        var first = ledger.Tracker.WaitForAdvanceAsync(0).AsTask();
        var second = ledger.Tracker.WaitForAdvanceAsync(0).AsTask();

        Assert.True(ledger.Tracker.ObserveKeepalive(700, upstreamIdle: true));

        Assert.Equal(700UL, await first.WaitAsync(Hang));
        Assert.Equal(700UL, await second.WaitAsync(Hang));
    }

    [Fact]
    public void ObserveKeepalive_on_an_idle_database_moves_the_flush_lsn_to_the_wal_end()
    {
        var ledger = new DeliveryLedger(initialFlushLsn: 100);

        Assert.True(ledger.Tracker.ObserveKeepalive(900, upstreamIdle: true));

        Assert.Equal(900UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task ObserveKeepalive_does_not_move_the_flush_lsn_while_a_transaction_is_unacknowledged()
    {
        var ledger = new DeliveryLedger(initialFlushLsn: 100);
        var pending = Whole(1, 200);
        await ledger.PushAsync(pending);

        Assert.False(ledger.Tracker.ObserveKeepalive(900, upstreamIdle: true));
        Assert.Equal(100UL, ledger.Tracker.FlushLsn);

        ledger.Ack(pending);
        Assert.Equal(200UL, ledger.Tracker.FlushLsn);
        Assert.True(ledger.Tracker.ObserveKeepalive(900, upstreamIdle: true));
        Assert.Equal(900UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task ObserveKeepalive_does_not_move_the_flush_lsn_while_a_transaction_is_partly_pushed()
    {
        var ledger = new DeliveryLedger();
        var first = Make(1, 200, 0, 1, last: false);
        await ledger.PushAsync(first);
        ledger.Ack(first);

        Assert.False(ledger.Tracker.ObserveKeepalive(900, upstreamIdle: true));
        Assert.Equal(0UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public void ObserveKeepalive_does_not_move_the_flush_lsn_while_the_decoder_holds_a_transaction()
    {
        var ledger = new DeliveryLedger(initialFlushLsn: 100);

        Assert.False(ledger.Tracker.ObserveKeepalive(900, upstreamIdle: false));

        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public void ObserveKeepalive_never_moves_the_flush_lsn_back()
    {
        var ledger = new DeliveryLedger(initialFlushLsn: 500);

        Assert.False(ledger.Tracker.ObserveKeepalive(400, upstreamIdle: true));

        Assert.Equal(500UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task Transaction_at_or_below_a_keepalive_confirmed_position_is_refused()
    {
        var ledger = new DeliveryLedger();
        var first = Whole(1, 100);
        await ledger.PushAsync(first);
        ledger.Ack(first);
        Assert.True(ledger.Tracker.ObserveKeepalive(900, upstreamIdle: true));

        Assert.True(ledger.ShouldSkip(900));
        await Assert.ThrowsAsync<ChunkOrderException>(() => ledger.PushAsync(Whole(2, 900)).AsTask());
        await ledger.PushAsync(Whole(2, 901));
        Assert.Equal(900UL, ledger.Tracker.FlushLsn);
    }
}
