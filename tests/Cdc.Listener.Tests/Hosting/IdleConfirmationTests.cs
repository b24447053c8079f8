using Cdc.Listener.Delivery;
using Cdc.Listener.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Cdc.Listener.Tests.Hosting;

/// <summary>The idle confirmation on a fake clock: an idle server's position is confirmed only after a second look that saw it unchanged.</summary>
public sealed class IdleConfirmationTests
{
    private static readonly TimeSpan Real = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The timing: confirmed at the tick plus the second look's wait, not at the tick. On an idle server nothing changes
    /// between the looks, so this case cannot tell a second look from a wait that does not look again; the two cases
    /// that change something between the looks (the position, the idleness) catch that.
    /// </summary>
    [Fact]
    public async Task An_idle_servers_position_is_confirmed_after_the_tick_and_the_second_look()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        var tracker = new LsnTracker(0x10);
        var upstream = new FakeUpstream { Lsn = 0x100 };
        using var stop = new CancellationTokenSource();
        var running = IdleConfirmation.RunAsync(upstream, tracker, time, stop.Token);

        await StepUntilAsync(time, () => tracker.FlushLsn != 0x10);

        Assert.Equal(0x100UL, tracker.FlushLsn);
        // At the first tick, and not before its second look.
        Assert.InRange(time.GetUtcNow() - start, IdleConfirmation.Interval + IdleConfirmation.SecondLook, 2 * IdleConfirmation.Interval - Step);
        await StopAsync(stop, running);
    }

    [Fact]
    public async Task A_message_arriving_between_the_two_looks_defers_confirmation_to_the_next_tick()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        var tracker = new LsnTracker(0x10);

        // Npgsql counts a message at 0x200 right after the first look, before it reaches the pipe.
        var upstream = new FakeUpstream { Lsn = 0x100, AfterFirstRead = 0x200 };
        using var stop = new CancellationTokenSource();
        var running = IdleConfirmation.RunAsync(upstream, tracker, time, stop.Token);

        await StepUntilAsync(time, () => tracker.FlushLsn != 0x10);

        Assert.Equal(0x200UL, tracker.FlushLsn);
        Assert.True(time.GetUtcNow() - start >= 2 * IdleConfirmation.Interval + IdleConfirmation.SecondLook);
        await StopAsync(stop, running);
    }

    /// <summary>
    /// The second look asks again whether the session is idle, not only whether the position moved: a message that
    /// does not move Npgsql's last received position (one at a position it has seen already) still makes the session busy.
    /// </summary>
    [Fact]
    public async Task A_session_busy_at_the_second_look_at_the_same_position_is_not_confirmed()
    {
        var time = new FakeTimeProvider();
        var tracker = new LsnTracker(0x10);
        var upstream = new FakeUpstream { Lsn = 0x100, BusyAfterFirstRead = true };
        using var stop = new CancellationTokenSource();
        var running = IdleConfirmation.RunAsync(upstream, tracker, time, stop.Token);

        for (var i = 0; i < 300; i++)
        {
            time.Advance(Step);
            await Task.Delay(2);
        }

        Assert.Equal(1, upstream.Reads); // the first look happened
        Assert.Equal(0x10UL, tracker.FlushLsn);
        await StopAsync(stop, running);
    }

    [Fact]
    public async Task Nothing_is_confirmed_while_the_upstream_is_busy()
    {
        var time = new FakeTimeProvider();
        var tracker = new LsnTracker(0x10);
        var upstream = new FakeUpstream { Lsn = 0x100, Idle = false };
        using var stop = new CancellationTokenSource();
        var running = IdleConfirmation.RunAsync(upstream, tracker, time, stop.Token);

        for (var i = 0; i < 50; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(2);
        }

        Assert.Equal(0x10UL, tracker.FlushLsn);
        Assert.Equal(0, upstream.Reads);
        await StopAsync(stop, running);
    }

    [Fact]
    public async Task A_sink_failed_for_good_ends_the_loop_with_its_reason_at_the_next_tick()
    {
        var time = new FakeTimeProvider();
        var failure = new InvalidOperationException("the sink refused change 1");
        var upstream = new FakeUpstream { Lsn = 0x100, Failure = failure };
        var running = IdleConfirmation.RunAsync(upstream, new LsnTracker(0x10), time, CancellationToken.None);
        Assert.False(running.IsCompleted);

        time.Advance(IdleConfirmation.Interval);

        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => running.WaitAsync(Real)));
    }

    /// <summary>Moves the fake clock in small steps, letting the loop run between them, until <paramref name="done"/> or 5 s of fake time.</summary>
    private static async Task StepUntilAsync(FakeTimeProvider time, Func<bool> done)
    {
        for (var i = 0; i < 500 && !done(); i++)
        {
            time.Advance(Step);
            await Task.Delay(2);
        }

        Assert.True(done(), "nothing was confirmed within 5 s of fake time");
    }

    private static async Task StopAsync(CancellationTokenSource stop, Task running)
    {
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Real));
    }

    private sealed class FakeUpstream : IIdleUpstream
    {
        private long _lsn;
        private int _reads;

        public bool Idle { get; init; } = true;

        public ulong Lsn
        {
            init => _lsn = (long)value;
        }

        /// <summary>Where the position moves right after it is first read.</summary>
        public ulong? AfterFirstRead { get; init; }

        /// <summary>The session stops being idle once the position was first read, which stays where it is.</summary>
        public bool BusyAfterFirstRead { get; init; }

        public Exception? Failure { get; init; }

        public int Reads => Volatile.Read(ref _reads);

        public bool IsIdle => Idle && !(BusyAfterFirstRead && Reads > 0);

        public ulong LastReceivedLsn
        {
            get
            {
                var value = (ulong)Interlocked.Read(ref _lsn);
                if (Interlocked.Increment(ref _reads) == 1 && AfterFirstRead is { } next)
                {
                    Interlocked.Exchange(ref _lsn, (long)next);
                }

                return value;
            }
        }

        public void ThrowIfFailed()
        {
            if (Failure is { } failure)
            {
                throw failure;
            }
        }
    }
}
