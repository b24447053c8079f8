using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace Cdc.Listener.Tests.Telemetry;

/// <summary>Commit-to-acknowledgement lag and uptime on a fake clock.</summary>
public sealed class ListenerStatusClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 5, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Lag_is_the_age_of_the_oldest_unacknowledged_commit_then_the_delay_measured_at_its_ack()
    {
        var time = new FakeTimeProvider(Start);
        var status = new ListenerStatus(time);
        Assert.Null(status.EndToEndLag(time.GetUtcNow()));

        status.CountTransaction(Micros(Start));
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), status.EndToEndLag(time.GetUtcNow()));

        time.Advance(TimeSpan.FromSeconds(2));
        status.CountAckedTransaction(Micros(Start));

        // Acknowledged 5 s after its commit; nothing pending, so the lag stays what was measured however long it is idle.
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(TimeSpan.FromSeconds(5), status.EndToEndLag(time.GetUtcNow()));
    }

    [Fact]
    public void A_message_without_commit_time_such_as_a_heartbeat_leaves_the_lag_as_measured()
    {
        var time = new FakeTimeProvider(Start);
        var status = new ListenerStatus(time);
        status.CountTransaction(Micros(Start));
        time.Advance(TimeSpan.FromSeconds(2));
        status.CountAckedTransaction(Micros(Start));

        // A non-transactional logical message (heartbeats every 10 s by default) carries commit time 0.
        status.CountTransaction(0);
        status.CountAckedTransaction(0);

        Assert.Equal(TimeSpan.FromSeconds(2), status.EndToEndLag(time.GetUtcNow()));
        Assert.Equal(2, status.Transactions);
    }

    [Fact]
    public void Started_at_is_read_from_the_clock_given()
    {
        var status = new ListenerStatus(new FakeTimeProvider(Start));

        Assert.Equal(Start, status.StartedAt);
    }

    private static long Micros(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / 10;
}
