using Cdc.Listener.Configuration;
using Cdc.Listener.Pipeline;
using Cdc.Listener.Source;

namespace Cdc.Listener.Tests.Resume;

public sealed class StreamOriginTests
{
    private static readonly ResumePoint Stored = ResumePoint.Parse("s1", "s1:00000002:00000000016B3A28:0")! with { SystemId = "7312345678901234567" };

    private static CdcOptions Options(bool allow = false) => new() { Slot = "s1", AllowSystemChange = allow, Nats = { Stream = "CDC" } };

    [Fact]
    public void Another_system_is_refused_in_one_line_naming_both_identifiers_and_the_setting()
    {
        var e = Assert.Throws<ReplicationSetupException>(() => StreamOrigin.Check(Options(), Stored, new ServerTimeline("7399999999999999999", 1, []), out _));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("system 7312345678901234567", e.Message, StringComparison.Ordinal);
        Assert.Contains("system 7399999999999999999", e.Message, StringComparison.Ordinal);
        Assert.Contains("Cdc:AllowSystemChange=true", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allowed_another_system_gives_no_origin_to_check_and_says_it_changed()
    {
        Assert.Null(StreamOrigin.Check(Options(allow: true), Stored, new ServerTimeline("7399999999999999999", 1, []), out var changed));
        Assert.True(changed);
    }

    [Fact]
    public void The_same_system_gives_the_stored_timeline_and_a_stream_without_the_header_gives_nothing()
    {
        var origin = StreamOrigin.Check(Options(), Stored, new ServerTimeline("7312345678901234567", 3, []), out var changed);
        Assert.False(changed);
        Assert.Equal(2u, origin!.Timeline);
        Assert.Equal("7312345678901234567", origin.SystemId);

        Assert.Null(StreamOrigin.Check(Options(), Stored with { SystemId = null }, new ServerTimeline("other", 1, []), out changed));
        Assert.False(changed);
        Assert.Null(StreamOrigin.Check(Options(), null, new ServerTimeline("other", 1, []), out _));
    }
}
