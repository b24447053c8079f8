using Npgsql;

namespace Cdc.Listener.Configuration;

/// <summary>Npgsql connection-string keys Cdc cannot honour, refused at start instead of being ignored.</summary>
internal static class UnsupportedConnectionKeys
{
    /// <summary>
    /// Keys of <paramref name="connection"/> Cdc cannot honour, each with the reason: refused at start (one line
    /// naming the key) instead of being ignored.
    /// </summary>
    public static IEnumerable<string> In(NpgsqlConnectionStringBuilder connection)
    {
        if (connection.Multiplexing)
        {
            yield return "Cdc:Connection: 'Multiplexing' is not supported by Cdc (the replication stream is one session and the setup queries run one at a time): remove it";
        }

        if (connection.TryGetValue("Replication Mode", out var mode) && mode?.ToString() is { } text && text != "Off")
        {
            yield return "Cdc:Connection: 'Replication Mode' is not supported: Cdc opens its replication connection itself; remove the key";
        }
    }
}
