using Cdc.Decoding;
using Cdc.Listener.Source;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Listener.Tests.Source;

public sealed class TimelineGuardTests
{
    private const string System = "7312345678901234567";

    // What PostgreSQL writes into 00000003.history after two promotions.
    private const string ThirdTimelineHistory = "1\t0/3000158\tno recovery target specified\n\n2\t0/5000000\tno recovery target specified\n";

    private static readonly ServerTimeline Primary = new(System, 1, []);
    private static readonly ServerTimeline Promoted = new(System, 2, [new TimelineSwitch(1, Lsn.Parse("0/3000158"))]);

    [Fact]
    public void History_lines_become_ancestors_oldest_first_and_positions_map_to_their_timeline()
    {
        var server = new ServerTimeline(System, 3, ServerTimeline.ParseHistory(ThirdTimelineHistory));
        Assert.Equal([new TimelineSwitch(1, Lsn.Parse("0/3000158")), new TimelineSwitch(2, Lsn.Parse("0/5000000"))], server.History);
        Assert.Equal(1u, server.TimelineAt(Lsn.Parse("0/1000000")));
        Assert.Equal(1u, server.TimelineAt(Lsn.Parse("0/3000158")));
        Assert.Equal(2u, server.TimelineAt(Lsn.Parse("0/3000159")));
        Assert.Equal(2u, server.TimelineAt(Lsn.Parse("0/5000000")));
        Assert.Equal(3u, server.TimelineAt(Lsn.Parse("0/5000001")));
        Assert.Null(server.SharedThrough(4));
    }

    [Fact]
    public void A_history_line_that_is_not_one_is_refused_with_the_line()
    {
        var e = Assert.Throws<ReplicationSetupException>(() => ServerTimeline.ParseHistory("1\tnot-an-lsn\treason"));
        Assert.Contains("not-an-lsn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_promoted_standby_is_followed_when_everything_published_is_at_or_below_its_switch_point()
    {
        var guard = new TimelineGuard(NullLogger.Instance);
        guard.Accept(Primary, Lsn.Invalid);
        guard.Accept(Primary, Lsn.Parse("0/2000000"));
        guard.Accept(Promoted, Lsn.Parse("0/3000158"));
        Assert.Same(Promoted, guard.Current);

        // Reconnecting to the promoted server again is the same timeline.
        guard.Accept(Promoted, Lsn.Parse("0/4000000"));
    }

    [Fact]
    public void Changes_published_past_the_switch_point_stop_cdc_naming_both_positions()
    {
        var guard = new TimelineGuard(NullLogger.Instance);
        guard.Accept(Primary, Lsn.Invalid);
        var e = Assert.Throws<ReplicationSetupException>(() => guard.Accept(Promoted, Lsn.Parse("0/3000200")));
        Assert.False(e.IsTransient);
        Assert.Contains("0/3000158", e.Message, StringComparison.Ordinal);
        Assert.Contains("0/3000200", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Same(Primary, guard.Current);
    }

    [Fact]
    public void Another_system_or_a_timeline_not_descending_from_the_known_one_stops_cdc()
    {
        var guard = new TimelineGuard(NullLogger.Instance);
        guard.Accept(Promoted, Lsn.Invalid);
        Assert.Contains("system 1", Assert.Throws<ReplicationSetupException>(() => guard.Accept(new ServerTimeline("1", 2, Promoted.History), Lsn.Invalid)).Message, StringComparison.Ordinal);

        // A sibling: timeline 3 branched from timeline 1, not from the timeline 2 Cdc streamed from.
        var sibling = new ServerTimeline(System, 3, [new TimelineSwitch(1, Lsn.Parse("0/3000158"))]);
        Assert.Contains("does not descend", Assert.Throws<ReplicationSetupException>(() => guard.Accept(sibling, Lsn.Invalid)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_restart_the_server_the_stream_came_from_is_checked_like_a_reconnect()
    {
        // The stream's newest message: timeline 2 (Cdc had followed a promotion), up to 0/6000000.
        var restarted = new TimelineGuard(NullLogger.Instance);
        restarted.Seed(new ServerTimeline(System, 2, []), Lsn.Parse("0/6000000"));
        Assert.Contains("does not descend", Assert.Throws<ReplicationSetupException>(() => restarted.Accept(Primary, Lsn.Invalid)).Message, StringComparison.Ordinal);

        // Seeded with timeline 1 up to 0/6000000, a standby that left timeline 1 at 0/3000158 lacks what the stream holds.
        var behind = new TimelineGuard(NullLogger.Instance);
        behind.Seed(Primary, Lsn.Parse("0/6000000"));
        Assert.Contains("0/6000000", Assert.Throws<ReplicationSetupException>(() => behind.Accept(Promoted, Lsn.Invalid)).Message, StringComparison.Ordinal);

        var same = new TimelineGuard(NullLogger.Instance);
        same.Seed(Promoted, Lsn.Parse("0/6000000"));
        same.Accept(Promoted, Lsn.Invalid);
        Assert.Same(Promoted, same.Current);
    }
}
