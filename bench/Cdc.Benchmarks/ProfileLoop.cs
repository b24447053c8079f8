using System.Diagnostics;
using Cdc.Benchmarks.Capture;
using Cdc.Benchmarks.Replay;

namespace Cdc.Benchmarks;

/// <summary>
/// <c>--profile [five|wide|jsonb] [seconds] [--protobuf] [--socket|--npgsql] [--allocations]</c>: decodes one scenario in a loop (in memory, or through the fake server) and prints
/// rows/s and bytes allocated per row; run it under <c>perf record</c> (with DOTNET_PerfMapEnabled=1) to find hot spots.
/// </summary>
public static class ProfileLoop
{
    public static async Task<int> RunAsync(string[] args, TextWriter log)
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
        var mode = args.Contains("--socket") ? "ours, listener path" : args.Contains("--npgsql") ? "Npgsql via socket" : "ours in memory";
        await using var server = new FakeServer.FakeReplicationServer(messages, scenario.Passes);
        using var sampler = args.Contains("--allocations") ? new AllocationSampler() : null;
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        long rows = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            if (args.Contains("--socket"))
            {
                await ListenerPathReplay.RunAsync(server.ConnectionString, scenario.SessionTransactions, handler).ConfigureAwait(false);
            }
            else if (args.Contains("--npgsql"))
            {
                await Baseline.NpgsqlPgOutputReplay.RunAsync(server.ConnectionString, scenario.SessionTransactions).ConfigureAwait(false);
            }
            else
            {
                InMemoryReplay.Run(messages, handler, scenario.Passes);
            }

            rows += scenario.SessionRows;
        }

        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        log.WriteLine($"{scenario}, {mode}{(handler == encoder ? " + protobuf" : string.Empty)}: {rows / clock.Elapsed.TotalSeconds:N0} rows/s, {(double)allocated / rows:F1} bytes allocated per row");
        sampler?.Report(log, rows);
        return 0;
    }
}
