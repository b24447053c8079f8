using System.Diagnostics;
using Cdc.Benchmarks.Capture;
using Cdc.Benchmarks.Replay;

namespace Cdc.Benchmarks;

/// <summary>
/// <c>--profile [five|wide|jsonb] [seconds] [--protobuf]</c>: decodes one scenario in memory in a loop and prints
/// rows/s and bytes allocated per row; run it under <c>perf record</c> (with DOTNET_PerfMapEnabled=1) to find hot spots.
/// </summary>
public static class ProfileLoop
{
    public static int Run(string[] args, TextWriter log)
    {
        var at = Array.IndexOf(args, "--profile");
        var name = args.Length > at + 1 ? args[at + 1] : "five";
        var seconds = args.Length > at + 2 && double.TryParse(args[at + 2], out var s) ? s : 10;
        var scenario = name switch
        {
            "wide" => Scenario.Wide,
            "jsonb" => Scenario.Jsonb,
            _ => Scenario.FiveRow,
        };
        var messages = CaptureFile.Read(scenario.FilePath);
        var reader = new ColumnReadingHandler();
        var encoder = new EncodingHandler();
        Cdc.Decoding.IChangeHandler handler = args.Contains("--protobuf") ? encoder : reader;
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        long rows = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            InMemoryReplay.Run(messages, handler);
            rows += scenario.Rows;
        }

        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        log.WriteLine($"{scenario}{(handler == encoder ? " + protobuf" : string.Empty)}: {rows / clock.Elapsed.TotalSeconds:N0} rows/s, {(double)allocated / rows:F1} bytes allocated per row");
        return 0;
    }
}
