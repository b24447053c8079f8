using System.Globalization;
using System.Text;

namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// Finds a password in a PostgreSQL password file the way libpq does
/// (https://www.postgresql.org/docs/current/libpq-pgpass.html), so a deployment that already works with psql works here.
/// </summary>
/// <remarks>
/// <para>Each line is <c>hostname:port:database:username:password</c>. A field that is exactly <c>*</c> matches anything;
/// <c>\:</c> and <c>\\</c> stand for a literal colon and backslash (any backslash escapes the next character, in the
/// password too). Lines starting with <c>#</c> and empty lines are skipped; lines with fewer fields never match. The
/// first matching line wins, so specific entries go before wildcard ones.</para>
/// <para>A Unix-socket host (a path starting with <c>/</c>, or <c>@</c> for an abstract socket) or an empty host is
/// matched as <c>localhost</c>, as libpq does.</para>
/// <para>The file is ignored (no password) when it is missing, unreadable, not a regular file, or, on Unix, readable,
/// writable or executable by group or others: libpq refuses such a file because other users could read the secrets in
/// it, and accepting it here would make Cdc the weaker link. Nothing read from the file is ever logged.</para>
/// </remarks>
internal static class PgPassFile
{
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>The password of the first line matching the connection, or null if none does or the file is unusable.</summary>
    /// <param name="path">Explicit file; if null or empty, <c>PGPASSFILE</c>, else <c>~/.pgpass</c>
    /// (<c>%APPDATA%\postgresql\pgpass.conf</c> on Windows).</param>
    public static string? FindPassword(string? path, string host, int port, string database, string user)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(user);

        path = ResolvePath(path);
        if (path is null || !IsUsable(path))
        {
            return null;
        }

        if (host.Length == 0 || host[0] is '/' or '@')
        {
            host = "localhost";
        }

        string[] wanted = [host, port.ToString(CultureInfo.InvariantCulture), database, user];
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                if (TryMatch(line, wanted, out var password))
                {
                    return password;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return null;
    }

    private static string? ResolvePath(string? path)
    {
        if (!string.IsNullOrEmpty(path))
        {
            return path;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("PGPASSFILE");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        if (OperatingSystem.IsWindows())
        {
            var appData = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData);
            return appData.Length == 0 ? null : Path.Combine(appData, "postgresql", "pgpass.conf");
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length == 0 ? null : Path.Combine(home, ".pgpass");
    }

    /// <summary>A regular file (File.Exists is false for directories) that, on Unix, only its owner may access.</summary>
    private static bool IsUsable(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            return OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & GroupOrOthers) == 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Matches the four key fields in order, then unescapes the password (up to an unescaped colon).</summary>
    private static bool TryMatch(string line, string[] wanted, out string? password)
    {
        password = null;
        var position = 0;
        foreach (var value in wanted)
        {
            if (!ReadField(line, ref position, out var field, out var isWildcard))
            {
                return false; // fewer than five fields
            }

            if (!isWildcard && !string.Equals(field, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        ReadField(line, ref position, out var found, out _);
        password = found;
        return true;
    }

    /// <summary>
    /// Reads one field from <paramref name="position"/>, removing escapes, and returns whether a colon ended it.
    /// Only an unescaped lone <c>*</c> is the wildcard: <c>\*</c> is a literal star.
    /// </summary>
    private static bool ReadField(string line, ref int position, out string field, out bool isWildcard)
    {
        var start = position;
        var text = new StringBuilder();
        var terminated = false;
        while (position < line.Length)
        {
            var c = line[position++];
            if (c == ':')
            {
                terminated = true;
                break;
            }

            if (c == '\\' && position < line.Length)
            {
                c = line[position++];
            }

            text.Append(c);
        }

        field = text.ToString();
        var rawLength = position - start - (terminated ? 1 : 0);
        isWildcard = rawLength == 1 && line[start] == '*';
        return terminated;
    }
}
