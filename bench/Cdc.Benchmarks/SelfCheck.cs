using System.Diagnostics;
using Cdc.Benchmarks.Baseline;
using Cdc.Benchmarks.Capture;
using Cdc.Benchmarks.FakeServer;
using Cdc.Benchmarks.Replay;

namespace Cdc.Benchmarks;

/// <summary>
/// <c>--check</c>: runs every path once per scenario and fails unless all see the same rows and value bytes, so a
/// benchmark that silently skips work (or a fake server that cuts the stream) is caught before it is timed.
/// </summary>
public static class SelfCheck
{
    public static async Task<int> RunAsync(TextWriter log)
    {
        var failed = false;
        foreach (var scenario in Scenario.All)
        {
            var messages = CaptureFile.Read(scenario.FilePath);
            await using var server = new FakeReplicationServer(messages, scenario.Passes);
            var clock = Stopwatch.StartNew();
            var inMemory = new ColumnReadingHandler();
            InMemoryReplay.Run(messages, inMemory, scenario.Passes);
            var inMemoryTime = clock.Elapsed;
            var viaSocket = new ColumnReadingHandler();
            await ListenerPathReplay.RunAsync(server.ConnectionString, scenario.SessionTransactions, viaSocket).ConfigureAwait(false);
            var socketTime = clock.Elapsed - inMemoryTime;
            var npgsql = await NpgsqlPgOutputReplay.RunAsync(server.ConnectionString, scenario.SessionTransactions).ConfigureAwait(false);
            var npgsqlTime = clock.Elapsed - inMemoryTime - socketTime;
            var encoded = new EncodingHandler();
            InMemoryReplay.Run(messages, encoded, scenario.Passes);

            var ok = inMemory.Tally.Rows == scenario.SessionRows && inMemory.Tally == viaSocket.Tally && inMemory.Tally == npgsql
                     && encoded.Tally.Rows == scenario.SessionRows && server.Failures == 0;
            failed |= !ok;
            log.WriteLine($"{(ok ? "ok  " : "FAIL")} {scenario}: ours in memory {inMemory.Tally}; ours via socket (listener path) {viaSocket.Tally}; Npgsql {npgsql}; encoded {encoded.Tally.Rows} rows, {encoded.Tally.ValueBytes} protobuf bytes");
            log.WriteLine($"     first (cold) run: in memory {inMemoryTime.TotalMilliseconds:F0} ms, via socket {socketTime.TotalMilliseconds:F0} ms, Npgsql {npgsqlTime.TotalMilliseconds:F0} ms");
        }

        return failed ? 1 : 0;
    }
}
