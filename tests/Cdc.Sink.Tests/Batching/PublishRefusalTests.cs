using Cdc.Sink.JetStream;
using Cdc.Sink.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Sink.Tests.Batching;

/// <summary>
/// A JetStream that answers nothing (nats-server stuck on a full store disk) is shown like a storage refusal; an answer
/// from the API ends it, but not a refusal for want of room, which only a stored message ends.
/// </summary>
public sealed class PublishRefusalTests
{
    [Fact]
    public void A_silent_JetStream_is_held_with_a_line_naming_the_store_disk_until_it_answers_again()
    {
        var refusal = new PublishRefusal(NullLogger.Instance);
        refusal.Unanswered(StorageFull.Unanswered(TimeSpan.FromSeconds(31), "CDC"));

        Assert.NotNull(refusal.Current);
        Assert.Contains("full disk under its JetStream store directory", refusal.Current, StringComparison.Ordinal);
        Assert.Contains("restart nats-server", refusal.Current, StringComparison.Ordinal);
        Assert.Contains("31 s", refusal.Current, StringComparison.Ordinal);

        refusal.Answered();
        Assert.Null(refusal.Current);
    }

    [Fact]
    public void An_API_answer_does_not_end_a_refusal_for_want_of_room()
    {
        var refusal = new PublishRefusal(NullLogger.Instance);
        refusal.Refused("stream CDC is full", Messages.Row("t", 1));
        refusal.Unanswered("silent"); // a refusal already shown keeps its line

        refusal.Answered();
        Assert.Equal("stream CDC is full", refusal.Current);
    }
}
