using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Cdc.Decoding.Transactions;

/// <summary>
/// Where spilled transactions go: a folder named after this process (<c>cdc-&lt;pid&gt;-&lt;start time&gt;</c>, mode
/// 0700) inside the spill directory (<see cref="PgOutputOptions.SpillDirectory"/>, default <c>$TMPDIR/cdc-spill</c>),
/// files readable by the owner only (0600) and deleted on close. Row data in them must not be readable by other
/// users. A killed process cannot delete its files, so the folders of processes that are gone are removed the first
/// time a spill directory is used.
/// </summary>
internal static class SpillFiles
{
    private const string FolderPrefix = "cdc-";
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Seconds of slack when comparing process start times (they are read with different roundings).</summary>
    private const long StartTimeSlackSeconds = 2;

    private static readonly ConcurrentDictionary<string, bool> _swept = new(StringComparer.Ordinal);
    private static readonly string _processFolder = FolderName(Environment.ProcessId, StartSeconds(Environment.ProcessId) ?? 0);

    /// <summary>The spill directory: the configured one, else <c>cdc-spill</c> in the system temp directory.</summary>
    public static string RootFor(string? configured)
        => string.IsNullOrEmpty(configured) ? Path.Combine(Path.GetTempPath(), "cdc-spill") : configured;

    /// <summary>Creates a spill file (0600, deleted on close) in this process's folder.</summary>
    public static FileStream Create(string? configured, int bufferSize)
    {
        var root = RootFor(configured);
        SweepOnce(root);
        var folder = Path.Combine(root, _processFolder);
        CreatePrivateDirectory(root);
        CreatePrivateDirectory(folder);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = bufferSize,
            Options = FileOptions.DeleteOnClose,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        return new FileStream(Path.Combine(folder, $"{Guid.NewGuid():N}.bin"), options);
    }

    /// <summary>Removes, once per process and directory, the folders that processes now gone left behind.</summary>
    public static void SweepOnce(string root)
    {
        if (_swept.TryAdd(root, true))
        {
            RemoveStale(root);
        }
    }

    /// <summary>Removes the folders of processes that are gone (another process's live folder is left alone).</summary>
    internal static void RemoveStale(string root)
    {
        string[] folders;
        try
        {
            folders = Directory.Exists(root) ? Directory.GetDirectories(root, FolderPrefix + "*") : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var folder in folders)
        {
            if (TryParse(Path.GetFileName(folder), out var pid, out var start) && !IsAlive(pid, start))
            {
                TryDelete(folder);
            }
        }
    }

    internal static string FolderName(int pid, long startSeconds)
        => string.Create(CultureInfo.InvariantCulture, $"{FolderPrefix}{pid}-{startSeconds}");

    /// <summary>When the process started (Unix seconds), or null when there is no such process.</summary>
    internal static long? StartSeconds(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeSeconds();
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            // It exists but its start time cannot be read: count it as the owner.
            return -1;
        }
    }

    /// <summary>The folder's process still runs: same pid and (when readable) same start time, so a reused pid does not count.</summary>
    private static bool IsAlive(int pid, long start) => StartSeconds(pid) switch
    {
        null => false,
        -1 => true,
        { } actual => Math.Abs(actual - start) <= StartTimeSlackSeconds,
    };

    private static bool TryParse(string name, out int pid, out long start)
    {
        pid = 0;
        start = 0;
        var rest = name.AsSpan(FolderPrefix.Length);
        var dash = rest.IndexOf('-');
        return dash > 0
            && int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out pid)
            && long.TryParse(rest[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out start);
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            // The mode applies only when the directory is created; an existing one keeps its own.
            Directory.CreateDirectory(path, PrivateDirectory);
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
