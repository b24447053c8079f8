namespace Cdc.Sink.JetStream;

/// <summary>Lists the settings in which an existing stream differs from the wanted one.</summary>
internal static class StreamConfigDiff
{
    public static List<string> Describe(StreamConfig wanted, StreamConfig actual)
    {
        var differences = new List<string>();
        if (!wanted.Subjects.Order(StringComparer.Ordinal).SequenceEqual(actual.Subjects.Order(StringComparer.Ordinal)))
        {
            differences.Add($"subjects [{string.Join(",", actual.Subjects)}] instead of [{string.Join(",", wanted.Subjects)}]");
        }

        Compare(differences, "retention", wanted.Retention, actual.Retention);
        Compare(differences, "storage", wanted.Storage, actual.Storage);
        Compare(differences, "num_replicas", wanted.NumReplicas, actual.NumReplicas);
        Compare(differences, "duplicate_window", wanted.DuplicateWindow, actual.DuplicateWindow);
        Compare(differences, "max_age", wanted.MaxAge, actual.MaxAge);
        Compare(differences, "max_bytes", wanted.MaxBytes, actual.MaxBytes);
        Compare(differences, "max_msgs", wanted.MaxMsgs, actual.MaxMsgs);
        Compare(differences, "max_msg_size", wanted.MaxMsgSize, actual.MaxMsgSize);
        Compare(differences, "discard", wanted.Discard, actual.Discard);
        return differences;
    }

    private static void Compare<T>(List<string> differences, string name, T wanted, T actual)
    {
        if (!EqualityComparer<T>.Default.Equals(wanted, actual))
        {
            differences.Add($"{name} {actual} instead of {wanted}");
        }
    }
}
