using Cdc.Listener.Delivery;
using Cdc.Listener.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Cdc.Listener.Tests.Delivery.TestChunks;

namespace Cdc.Listener.Tests.Hosting;

/// <summary>The end-of-session drain on a fake clock: it ends on the ledger's "all acknowledged" event, or at its timeout.</summary>
public sealed class LedgerDrainTests
{
    private static readonly TimeSpan Real = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Graceful_drain_ends_at_the_last_ack_without_the_clock_moving()
    {
        var time = new FakeTimeProvider();
        var ledger = new DeliveryLedger();
        var chunk = Whole(1, 100);
        await ledger.PushAsync(chunk);

        var drain = LedgerDrain.DrainAsync(ledger.Tracker, AcknowledgedScope.Chunks, TimeSpan.FromSeconds(30), time, NullLogger.Instance, CancellationToken.None);
        Assert.False(drain.IsCompleted);

        ledger.Ack(chunk);
        Assert.True(await drain.WaitAsync(Real));
    }

    [Fact]
    public async Task Graceful_drain_gives_up_at_its_timeout_and_not_before()
    {
        var time = new FakeTimeProvider();
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Whole(1, 100));

        var drain = LedgerDrain.DrainAsync(ledger.Tracker, AcknowledgedScope.Chunks, TimeSpan.FromSeconds(30), time, NullLogger.Instance, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50);
        Assert.False(drain.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await drain.WaitAsync(Real));
        Assert.Equal(1, ledger.Tracker.PendingChunks);
    }

    [Fact]
    public async Task Reconnect_drain_waits_for_the_whole_transaction_not_only_the_chunks_pushed()
    {
        var time = new FakeTimeProvider();
        var ledger = new DeliveryLedger();
        var first = Make(1, 100, 0, 1, last: false);
        await ledger.PushAsync(first);

        var drain = LedgerDrain.DrainAsync(ledger.Tracker, AcknowledgedScope.Transactions, Timeout.InfiniteTimeSpan, time, NullLogger.Instance, CancellationToken.None);
        ledger.Ack(first);
        await Task.Delay(50);
        Assert.False(drain.IsCompleted);

        // Hours on the clock change nothing: a reconnect waits for NATS as long as it takes.
        time.Advance(TimeSpan.FromHours(2));
        await Task.Delay(50);
        Assert.False(drain.IsCompleted);

        var last = Make(1, 100, 1, 1, last: true);
        await ledger.PushAsync(last);
        ledger.Ack(last);
        Assert.True(await drain.WaitAsync(Real));
        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task Reconnect_drain_stops_when_the_host_stops()
    {
        var ledger = new DeliveryLedger();
        await ledger.PushAsync(Whole(1, 100));
        using var stopping = new CancellationTokenSource();

        var drain = LedgerDrain.DrainAsync(ledger.Tracker, AcknowledgedScope.Transactions, Timeout.InfiniteTimeSpan, new FakeTimeProvider(), NullLogger.Instance, stopping.Token);
        await stopping.CancelAsync();

        Assert.False(await drain.WaitAsync(Real));
    }

    [Fact]
    public async Task The_tracker_signals_all_acknowledged_at_the_ack_that_leaves_nothing_pending()
    {
        var ledger = new DeliveryLedger();
        var a = Whole(1, 100);
        var b = Whole(2, 200);
        await ledger.PushAsync(a);
        await ledger.PushAsync(b);

        var chunks = ledger.Tracker.WaitForAcknowledgedAsync(AcknowledgedScope.Chunks);
        var transactions = ledger.Tracker.WaitForAcknowledgedAsync(AcknowledgedScope.Transactions);
        ledger.Ack(b);
        await Task.Delay(50);
        Assert.False(chunks.IsCompleted);
        Assert.False(transactions.IsCompleted);

        ledger.Ack(a);
        await chunks.WaitAsync(Real);
        await transactions.WaitAsync(Real);
    }

    [Fact]
    public async Task Nothing_pushed_is_drained_at_once()
    {
        var drain = LedgerDrain.DrainAsync(new DeliveryLedger().Tracker, AcknowledgedScope.Transactions, Timeout.InfiniteTimeSpan, new FakeTimeProvider(), NullLogger.Instance, CancellationToken.None);

        Assert.True(drain.IsCompletedSuccessfully);
        Assert.True(await drain);
    }
}
