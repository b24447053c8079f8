using NATS.Client.JetStream.Models;

namespace Cdc.Sink.JetStream;

/// <summary>Lists the settings in which an existing stream differs from the wanted one (names as the JetStream API spells them).</summary>
public static class StreamConfigDiff
{
    public static List<string> Describe(StreamConfig wanted, StreamConfig actual)
    {
        var differences = new List<string>();
        var wantedSubjects = wanted.Subjects ?? [];
        var actualSubjects = actual.Subjects ?? [];
        if (!wantedSubjects.Order(StringComparer.Ordinal).SequenceEqual(actualSubjects.Order(StringComparer.Ordinal)))
        {
            differences.Add($"subjects [{string.Join(",", actualSubjects)}] instead of [{string.Join(",", wantedSubjects)}]");
        }

        Compare(differences, "retention", Name(wanted.Retention), Name(actual.Retention));
        Compare(differences, "storage", Name(wanted.Storage), Name(actual.Storage));
        Compare(differences, "num_replicas", wanted.NumReplicas, actual.NumReplicas);
        Compare(differences, "duplicate_window", Nanos(wanted.DuplicateWindow), Nanos(actual.DuplicateWindow));
        Compare(differences, "max_age", Nanos(wanted.MaxAge), Nanos(actual.MaxAge));
        Compare(differences, "max_bytes", wanted.MaxBytes, actual.MaxBytes);
        Compare(differences, "max_msgs", wanted.MaxMsgs, actual.MaxMsgs);
        Compare(differences, "max_msg_size", wanted.MaxMsgSize, actual.MaxMsgSize);
        Compare(differences, "discard", Name(wanted.Discard), Name(actual.Discard));
        return differences;
    }

    private static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static long Nanos(TimeSpan value) => value.Ticks * 100;

    private static void Compare<T>(List<string> differences, string name, T wanted, T actual)
    {
        if (!EqualityComparer<T>.Default.Equals(wanted, actual))
        {
            differences.Add($"{name} {actual} instead of {wanted}");
        }
    }
}
