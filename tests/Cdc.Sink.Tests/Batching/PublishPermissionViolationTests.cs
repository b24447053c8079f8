namespace Cdc.Sink.Tests.Batching;

public sealed class PublishPermissionViolationTests
{
    [Fact]
    public void A_denied_subject_is_read_from_the_servers_text_and_denies_only_that_subject()
    {
        Assert.True(PublishPermissionViolation.TryParse("Permissions Violation for Publish to \"cdc.db._outbox.secret\"", out var violation));
        Assert.Equal("cdc.db._outbox.secret", violation.Subject);
        Assert.True(violation.Denies("cdc.db._outbox.secret", "_CDC_ACK.abc"));
        Assert.False(violation.Denies("cdc.db._outbox.other", "_CDC_ACK.abc"));
    }

    [Fact]
    public void A_denied_reply_subject_of_the_writer_denies_every_publish()
    {
        Assert.True(PublishPermissionViolation.TryParse("Permissions Violation for Publish with Reply of \"_CDC_ACK.abc.17\"", out var violation));
        Assert.True(violation.ReplyDenied);
        Assert.True(violation.Denies("cdc.db.public.t", "_CDC_ACK.abc"));
        Assert.False(violation.Denies("cdc.db.public.t", "_CDC_ACK.other"));
        Assert.False(violation.Denies("cdc.db.public.t", "_CDC_ACK.ab"));
    }

    [Theory]
    [InlineData("Permissions Violation for Subscription to \"x\"")]
    [InlineData("Authorization Violation")]
    [InlineData("Permissions Violation for Publish to x")]
    [InlineData("")]
    public void Other_errors_are_not_publish_denials(string error)
        => Assert.False(PublishPermissionViolation.TryParse(error, out _));
}
