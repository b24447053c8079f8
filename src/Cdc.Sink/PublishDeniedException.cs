namespace Cdc.Sink;

/// <summary>
/// The server dropped the publish for a permissions violation (the connection's user may not publish to the subject,
/// or to the PubAck reply subject) and kept doing so for the writer's whole retry time. No PubAck ever comes for it.
/// </summary>
public sealed class PublishDeniedException : SinkException
{
    public PublishDeniedException(string subject, string serverError, TimeSpan retriedFor)
        : base($"NATS denied the publish to '{subject}' for {retriedFor.TotalSeconds:0.#}s: -ERR '{serverError}'; allow the connection's user to publish there (permissions.publish) or change the subject")
    {
        Subject = subject;
        ServerError = serverError;
    }

    public string Subject { get; }

    /// <summary>The server's -ERR text.</summary>
    public string ServerError { get; }
}
