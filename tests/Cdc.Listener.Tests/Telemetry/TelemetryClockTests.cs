using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace Cdc.Listener.Tests.Telemetry;

/// <summary>Commit-to-acknowledgement lag and uptime on a fake clock.</summary>
public sealed class TelemetryClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 5, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Lag_is_the_age_of_the_oldest_unacknowledged_commit_then_the_delay_measured_at_its_ack()
    {
        var time = new FakeTimeProvider(Start);
        var changes = new ChangeCounters(time);
        Assert.Null(changes.EndToEndLag(time.GetUtcNow()));

        changes.CountTransaction(Micros(Start));
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), changes.EndToEndLag(time.GetUtcNow()));

        time.Advance(TimeSpan.FromSeconds(2));
        changes.CountAckedTransaction(Micros(Start));

        // Acknowledged 5 s after its commit; nothing pending, so the lag stays what was measured however long it is idle.
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(TimeSpan.FromSeconds(5), changes.EndToEndLag(time.GetUtcNow()));
    }

    [Fact]
    public void A_message_without_commit_time_such_as_a_heartbeat_leaves_the_lag_as_measured()
    {
        var time = new FakeTimeProvider(Start);
        var changes = new ChangeCounters(time);
        changes.CountTransaction(Micros(Start));
        time.Advance(TimeSpan.FromSeconds(2));
        changes.CountAckedTransaction(Micros(Start));

        // A non-transactional logical message (heartbeats every 10 s by default) carries commit time 0.
        changes.CountTransaction(0);
        changes.CountAckedTransaction(0);

        Assert.Equal(TimeSpan.FromSeconds(2), changes.EndToEndLag(time.GetUtcNow()));
        Assert.Equal(2, changes.Transactions);
    }

    [Fact]
    public void Started_at_is_read_from_the_clock_given()
    {
        var session = new SessionStatus(new FakeTimeProvider(Start));

        Assert.Equal(Start, session.StartedAt);
    }

    private static long Micros(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / 10;
}
