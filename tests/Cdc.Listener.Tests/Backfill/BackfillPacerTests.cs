using Cdc.Listener.Backfill;
using Microsoft.Extensions.Time.Testing;

namespace Cdc.Listener.Tests.Backfill;

/// <summary>
/// How a backfill is paced beside streaming: at most Cdc:Backfill:MaxRowsPerSecond, and no chunk read while more than
/// Cdc:Backfill:PauseAboveInFlightBytes wait for acknowledgement. Driven by a fake clock: nothing here sleeps.
/// </summary>
public sealed class BackfillPacerTests
{
    private static readonly TimeSpan Real = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_first_chunk_is_read_at_once()
    {
        var pacer = new BackfillPacer(1_000, 0, () => 0, new FakeTimeProvider());
        Assert.True(pacer.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_chunk_of_n_rows_is_followed_by_n_over_the_rate_seconds_counted_from_its_start()
    {
        var time = new FakeTimeProvider();
        var pacer = new BackfillPacer(1_000, 0, () => 0, time);
        await pacer.WaitAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(200)); // reading the chunk took 200 ms
        pacer.Read(500);                              // 500 rows at 1,000 rows/s: the next chunk 500 ms after this one began

        var next = pacer.WaitAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(299));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await next.WaitAsync(Real);
    }

    [Fact]
    public async Task A_chunk_slower_than_the_rate_is_followed_at_once_and_earns_no_burst()
    {
        var time = new FakeTimeProvider();
        var pacer = new BackfillPacer(1_000, 0, () => 0, time);
        await pacer.WaitAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(3));
        pacer.Read(1_000);
        Assert.True(pacer.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);

        // The slow chunk's spare seconds are not saved up: the next one is paced from its own start.
        pacer.Read(1_000);
        var third = pacer.WaitAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(third.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await third.WaitAsync(Real);
    }

    [Fact]
    public async Task No_rate_limit_means_no_wait()
    {
        var pacer = new BackfillPacer(0, 0, () => 0, new FakeTimeProvider());
        await pacer.WaitAsync(CancellationToken.None);
        pacer.Read(1_000_000);
        Assert.True(pacer.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task The_next_chunk_waits_while_a_streaming_backlog_is_in_flight()
    {
        var time = new FakeTimeProvider();
        long inFlight = 5 << 20;
        var pacer = new BackfillPacer(0, 1 << 20, () => Interlocked.Read(ref inFlight), time);

        var first = pacer.WaitAsync(CancellationToken.None);
        for (var i = 0; i < 10; i++)
        {
            time.Advance(BackfillPacer.PollInterval);
            Assert.False(first.IsCompleted);
        }

        Interlocked.Exchange(ref inFlight, 1 << 20); // at the threshold: streaming has caught up
        time.Advance(BackfillPacer.PollInterval);
        await first.WaitAsync(Real);
        Assert.True(pacer.YieldedToStream);

        Assert.True(pacer.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        Assert.False(pacer.YieldedToStream);
    }

    [Fact]
    public async Task A_stop_ends_the_wait()
    {
        var time = new FakeTimeProvider();
        var pacer = new BackfillPacer(10, 0, () => 0, time);
        await pacer.WaitAsync(CancellationToken.None);
        pacer.Read(1_000);
        using var stop = new CancellationTokenSource();
        var waiting = pacer.WaitAsync(stop.Token);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Real));
    }
}
