namespace Cdc.Sink;

/// <summary>
/// A <c>-ERR 'Permissions Violation for Publish ...'</c> from nats-server: the publish was dropped and no PubAck will
/// come. The server sends it asynchronously and names only the subject (client.go <c>pubPermissionViolation</c>:
/// <c>Permissions Violation for Publish to "subj"</c>; a denied reply subject:
/// <c>Permissions Violation for Publish with Reply of "reply"</c>). nats-server has no error codes for it, so the text
/// is matched; it is not localised.
/// </summary>
internal readonly record struct PublishPermissionViolation(string Subject, bool ReplyDenied)
{
    private const string PublishTo = "Permissions Violation for Publish to ";
    private const string PublishWithReply = "Permissions Violation for Publish with Reply of ";

    public static bool TryParse(string? error, out PublishPermissionViolation violation)
    {
        violation = default;
        if (error is null)
        {
            return false;
        }

        var replyDenied = error.StartsWith(PublishWithReply, StringComparison.Ordinal);
        if (!replyDenied && !error.StartsWith(PublishTo, StringComparison.Ordinal))
        {
            return false;
        }

        // The subject is Go-quoted (%q); NATS subjects are printable ASCII without quotes, so stripping the quotes suffices.
        var quoted = error[(replyDenied ? PublishWithReply : PublishTo).Length..].Trim();
        if (quoted.Length < 2 || quoted[0] != '"' || quoted[^1] != '"')
        {
            return false;
        }

        violation = new PublishPermissionViolation(quoted[1..^1], replyDenied);
        return true;
    }

    /// <summary>Whether the publish of a message to <paramref name="subject"/> with a reply under <paramref name="replyPrefix"/> was denied.</summary>
    public bool Denies(string subject, string replyPrefix)
        => ReplyDenied
            ? Subject.Length > replyPrefix.Length && Subject[replyPrefix.Length] == '.' && Subject.StartsWith(replyPrefix, StringComparison.Ordinal)
            : Subject == subject;
}
