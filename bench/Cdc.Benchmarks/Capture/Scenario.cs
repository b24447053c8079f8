namespace Cdc.Benchmarks.Capture;

/// <summary>
/// A captured workload: which file holds it, how many row changes it decodes to, and how many times one replication
/// session replays it (<see cref="Passes"/>), so per-session costs (connection, buffers, relation cache) are
/// amortised as in a long-lived session rather than charged to a few rows.
/// </summary>
public sealed record Scenario(string Name, string FileName, int Transactions, int RowsPerTransaction, int Passes)
{
    /// <summary>5-row transactions of a 6-column table (~150-byte rows).</summary>
    public const int FiveRowRows = 10_000 * 5;

    /// <summary>Rows of 50 columns of mixed types.</summary>
    public const int WideRows = 400 * 5;

    /// <summary>Rows carrying one ~1 MB jsonb value each.</summary>
    public const int JsonbRows = 4;

    public const int FiveRowPasses = 4;
    public const int WidePasses = 20;
    public const int JsonbPasses = 8;

    /// <summary>Rows decoded by one benchmark invocation (one session): the OperationsPerInvoke of the benchmarks.</summary>
    public const int FiveRowSessionRows = FiveRowRows * FiveRowPasses;

    public const int WideSessionRows = WideRows * WidePasses;
    public const int JsonbSessionRows = JsonbRows * JsonbPasses;

    public static readonly Scenario FiveRow = new("5-row tx, 6 columns", "five-row-tx.xlog.gz", 10_000, 5, FiveRowPasses);
    public static readonly Scenario Wide = new("50-column rows", "wide-50.xlog.gz", 400, 5, WidePasses);
    public static readonly Scenario Jsonb = new("1 MB jsonb", "jsonb-1mb.xlog.gz", 4, 1, JsonbPasses);

    public static IReadOnlyList<Scenario> All { get; } = [FiveRow, Wide, Jsonb];

    /// <summary>Rows in the capture file.</summary>
    public int Rows => Transactions * RowsPerTransaction;

    public int SessionTransactions => Transactions * Passes;

    public int SessionRows => Rows * Passes;

    public static string DataDirectory
        => Environment.GetEnvironmentVariable("CDC_BENCH_DATA") is { Length: > 0 } dir ? dir : Path.Combine(FindProjectDirectory(), "data");

    public string FilePath => Path.Combine(DataDirectory, FileName);

    public override string ToString() => Name;

    /// <summary>The project directory (holding data/), found from the build output upwards so any working directory works.</summary>
    private static string FindProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cdc.Benchmarks.csproj")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Cdc.Benchmarks.csproj not found above " + AppContext.BaseDirectory + "; set CDC_BENCH_DATA");
    }
}
