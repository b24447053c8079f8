namespace Cdc.IntegrationTests.Faults;

/// <summary>Resident memory of a process as Linux reports it in /proc/&lt;pid&gt;/status.</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public static long PeakResidentBytes(int pid) => ReadKilobytes(pid, "VmHWM:") * 1024;

    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public static long ResidentBytes(int pid) => ReadKilobytes(pid, "VmRSS:") * 1024;

    private static long ReadKilobytes(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                // "VmHWM:	  123456 kB"
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"{field} not in /proc/{pid}/status");
    }
}
