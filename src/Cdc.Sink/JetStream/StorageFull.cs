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
}
