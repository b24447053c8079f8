using Cdc.Sink.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Cdc.Sink.Tests.Batching;

public sealed class InflightWindowTests
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_message_just_added_is_as_old_as_the_time_since_its_publish_not_since_the_clock_started()
    {
        // The writer's monitor republishes when the oldest message is older than the ack timeout. A message whose
        // publish time was not yet stamped when the monitor looked counted from the clock's zero: "no PubAck within
        // 10 s" 1.6 s after start. Add stamps it under the window's lock.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero));
        var window = new InflightWindow(8, time);
        time.Advance(TimeSpan.FromHours(3));

        window.Add(Pending(0));
        Assert.Equal(TimeSpan.Zero, window.OldestAge());

        time.Advance(TimeSpan.FromSeconds(1.6));
        Assert.Equal(TimeSpan.FromSeconds(1.6), window.OldestAge());
        Assert.False(window.OldestAge() > AckTimeout);

        time.Advance(TimeSpan.FromSeconds(8.5));
        Assert.True(window.OldestAge() > AckTimeout);
    }

    [Fact]
    public void The_oldest_age_follows_the_first_message_still_waiting_and_a_republish_restarts_it()
    {
        var time = new FakeTimeProvider();
        var window = new InflightWindow(8, time);
        var first = Pending(0);
        var second = Pending(1);
        Assert.Null(window.OldestAge());

        window.Add(first);
        time.Advance(TimeSpan.FromSeconds(4));
        window.Add(second);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(5), window.OldestAge());

        window.Remove(first);
        Assert.Equal(TimeSpan.FromSeconds(1), window.OldestAge());

        time.Advance(TimeSpan.FromSeconds(20));
        window.Restamp(second);
        Assert.Equal(TimeSpan.Zero, window.OldestAge());

        window.Remove(second);
        Assert.Null(window.OldestAge());
    }

    [Fact]
    public async Task A_full_window_lets_its_writer_go_only_after_a_sixteenth_of_it_is_acknowledged()
    {
        var window = new InflightWindow(32);
        var pending = Enumerable.Range(0, 32).Select(Pending).ToArray();
        foreach (var message in pending)
        {
            Assert.True(window.HasRoom);
            window.Add(message);
        }

        Assert.False(window.HasRoom);
        Assert.Throws<InvalidOperationException>(() => window.Add(Pending(32)));
        var room = window.WaitForRoomAsync(CancellationToken.None);

        window.Remove(pending[0]);
        Assert.True(window.HasRoom);
        Assert.False(room.IsCompleted);

        window.Remove(pending[1]);
        await room.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(30, window.Count);
        Assert.True(window.WaitForRoomAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task A_window_of_one_lets_its_writer_go_at_the_first_ack()
    {
        var window = new InflightWindow(1);
        var message = Pending(0);
        window.Add(message);
        var room = window.WaitForRoomAsync(CancellationToken.None);
        Assert.False(room.IsCompleted);

        window.Remove(message);
        await room.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(window.HasRoom);
    }

    private static PendingMessage Pending(int index)
    {
        var message = Messages.Row("orders", index);
        return new PendingMessage(message, message.Payload, message.Headers, message.Payload.Length);
    }
}
