using Cdc.Consumer.Errors;
using Cdc.Consumer.Gaps;
using Cdc.Consumer.Reading;

namespace Cdc.Consumer.Tests;

public sealed class UnitTests
{
    [Fact]
    public void Backoff_doubles_from_the_initial_wait_up_to_the_maximum()
    {
        var retry = new RetryOptions { InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromMilliseconds(500) };

        Assert.Equal([100, 200, 400, 500, 500], Enumerable.Range(1, 5).Select(a => retry.BackoffAfter(a).TotalMilliseconds));
    }

    [Theory]
    [InlineData("p.app.public.items", "p.app.public.items", true)]
    [InlineData("p.app.public.items", "p.app.public.items._schema", false)]
    [InlineData("p.app.public.*", "p.app.public.items", true)]
    [InlineData("p.app.*.items.>", "p.app.public.items.insert", true)]
    [InlineData("p.app.*.items.>", "p.app.public.items", false)]
    [InlineData("p.app._message.*", "p.app._message.audit", true)]
    public void Subject_filters_match_like_nats(string filter, string subject, bool matches)
        => Assert.Equal(matches, new SubjectFilter([filter]).Matches(subject));

    [Fact]
    public void Invalid_options_fail_at_construction_naming_the_option()
    {
        var bad = new CdcConsumerOptions { ConsumerName = "a.b" };
        Assert.Contains("ConsumerName", Assert.Throws<ArgumentException>(() => new CdcConsumer(bad)).Message, StringComparison.Ordinal);
        var noRetry = new CdcConsumerOptions { ConsumerName = "ok", Retry = new RetryOptions { MaxAttempts = 0 } };
        Assert.Contains("MaxAttempts", Assert.Throws<ArgumentOutOfRangeException>(() => new CdcConsumer(noRetry)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unfiltered_tracker_reports_every_jump_and_a_cursor_older_than_the_stream()
    {
        var gaps = new List<CdcGap>();
        var tracker = new GapTracker("c", filtered: false, _ => ValueTask.FromResult(new StreamBounds(10, 20)), (gap, _) =>
        {
            gaps.Add(gap);
            return ValueTask.CompletedTask;
        });

        await tracker.StartAsync(cursor: 4, CancellationToken.None);
        foreach (var sequence in new ulong[] { 10, 11, 14, 15 })
        {
            await tracker.ObserveAsync(sequence, CancellationToken.None);
        }

        Assert.Equal([new CdcGap("c", 5, 9), new CdcGap("c", 12, 13)], gaps);
    }

    [Fact]
    public async Task A_filtered_tracker_reports_a_jump_only_below_the_streams_first_sequence()
    {
        var first = 1UL;
        var gaps = new List<CdcGap>();
        var tracker = new GapTracker("c", filtered: true, _ => ValueTask.FromResult(new StreamBounds(first, 30)), (gap, _) =>
        {
            gaps.Add(gap);
            return ValueTask.CompletedTask;
        });

        await tracker.ObserveAsync(3, CancellationToken.None);
        await tracker.ObserveAsync(9, CancellationToken.None);
        first = 20;
        await tracker.ObserveAsync(25, CancellationToken.None);

        Assert.Equal([new CdcGap("c", 10, 19)], gaps);
    }

    [Fact]
    public async Task A_cursor_past_the_streams_last_sequence_is_refused_not_waited_on()
    {
        var tracker = new GapTracker("c", filtered: false, _ => ValueTask.FromResult(new StreamBounds(1, 5)), (_, _) => ValueTask.CompletedTask);

        var error = await Assert.ThrowsAsync<CdcCursorAheadOfStreamException>(() => tracker.StartAsync(cursor: 9, CancellationToken.None).AsTask());

        Assert.Equal((9UL, 5UL), (error.Cursor, error.StreamLastSequence));
    }
}
