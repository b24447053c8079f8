namespace Cdc.Testing;

/// <summary>
/// The server settings of a test PostgreSQL (<c>wal_level=logical</c>, slots and senders to spare, no durability)
/// merged with a test's own, written the way postgresql.conf takes them (<c>'2s'</c>, <c>on</c>).
/// </summary>
public static class PostgresSettings
{
    public static readonly IReadOnlyDictionary<string, string> Defaults = new Dictionary<string, string>
    {
        ["wal_level"] = "logical",
        ["max_replication_slots"] = "32",
        ["max_wal_senders"] = "32",
        ["max_connections"] = "100",
        ["fsync"] = "off",
        ["full_page_writes"] = "off",
        ["synchronous_commit"] = "off",
        ["shared_buffers"] = "128MB",
        ["max_wal_size"] = "2GB",
        ["wal_sender_timeout"] = "60s",
    };

    /// <summary>The defaults overridden by <paramref name="settings"/>.</summary>
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string>? settings)
    {
        var merged = new Dictionary<string, string>(Defaults);
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            merged[name] = value;
        }

        return merged;
    }

    /// <summary>
    /// <c>-c name=value</c> arguments of the postgres command: a value quoted for postgresql.conf loses its
    /// quotes, since no shell removes them from a container's command.
    /// </summary>
    public static IEnumerable<string> Arguments(IReadOnlyDictionary<string, string> settings)
        => settings.SelectMany(s => new[] { "-c", $"{s.Key}={Unquote(s.Value)}" });

    /// <summary>Settings whose value names an existing file on this machine (certificates, keys): they are copied into the container.</summary>
    public static IEnumerable<string> Files(IReadOnlyDictionary<string, string> settings)
        => settings.Values.Select(Unquote).Where(v => Path.IsPathRooted(v) && File.Exists(v)).Distinct();

    private static string Unquote(string value)
        => value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1].Replace("''", "'", StringComparison.Ordinal) : value;
}
