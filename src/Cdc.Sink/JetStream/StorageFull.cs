namespace Cdc.Sink.JetStream;

/// <summary>
/// Recognizes a publish JetStream refused because it has no room for it, and says what the operator can change. Such a
/// refusal is not about the message: the writer holds it (nothing is acknowledged, so the slot does not advance) and
/// republishes until there is room again.
/// </summary>
public static class StorageFull
{
    /// <summary>10077 (store failed): the stream reached a limit with <c>discard: new</c>; the description names which.</summary>
    private const int StreamStoreFailed = 10077;

    /// <summary>10023: the server's JetStream storage (<c>max_file_store</c> / <c>max_memory_store</c>) or the account's is used up.</summary>
    private const int InsufficientResources = 10023;

    /// <summary>10002: the account's JetStream resource limits are reached.</summary>
    private const int AccountResourcesExceeded = 10002;

    /// <summary>One line saying why <paramref name="stream"/> refuses messages and what to change; null when <paramref name="error"/> is another error.</summary>
    public static string? Describe(ApiError error, string stream)
    {
        ArgumentNullException.ThrowIfNull(error);
        var description = error.Description ?? string.Empty;
        const string Holding = "Cdc holds every change (the slot does not advance) and retries until there is room";
        if (error.ErrCode == StreamStoreFailed && description.StartsWith("maximum ", StringComparison.Ordinal))
        {
            var limit = description.Contains("per subject", StringComparison.Ordinal) ? "max_msgs_per_subject"
                : description.Contains("messages", StringComparison.Ordinal) ? "max_msgs"
                : "max_bytes";
            return $"JetStream stream {stream} is full ({description}: it reached its {limit} with discard new): raise the stream's {limit}, "
                + $"set discard old or purge old messages; {Holding}";
        }

        if (error.ErrCode is InsufficientResources or AccountResourcesExceeded)
        {
            return $"JetStream has no storage left for stream {stream} ({description}): raise max_file_store (max_memory_store for memory storage) "
                + $"in the server's jetstream block or the account's limit, or free space by purging or deleting another stream; {Holding}";
        }

        return null;
    }

    /// <summary>
    /// One line for a JetStream that has answered no API request for <paramref name="silence"/> while the connection is
    /// up and publishes wait for their PubAcks. What nats-server 2.9.10 does on a full disk under its store directory
    /// (checked against a real ENOSPC): the write fails, the file store deadlocks, and from then on the stream stores
    /// nothing, no JetStream request is answered, nothing is logged, SIGTERM is ignored and freeing space alone does not
    /// help; the stream comes back, with everything it acknowledged, when nats-server is restarted with space free.
    /// Newer servers disable JetStream instead, which the writer sees as no responders.
    /// </summary>
    public static string Unanswered(TimeSpan silence, string stream)
        => $"JetStream has answered no publish and no API request for stream {stream} for {silence.TotalSeconds:0} s although NATS is connected: "
            + "nats-server is stuck, most likely on a full disk under its JetStream store directory (store_dir), where nats-server 2.9 stops "
            + "answering without a log line (in a cluster, also a stream that lost its quorum). Free space on that disk and restart nats-server "
            + "(kill -9 if it ignores SIGTERM); "
            + "Cdc holds every change (the slot does not advance) and retries";
}
