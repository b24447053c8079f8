using System.Diagnostics;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// One transaction of 2,000,000 rows is delivered completely while cdc's peak resident memory stays below
/// the in-flight budget plus 150 MB, with the server streaming it in progress (spilled by the assembler) and
/// without streaming (the whole transaction arrives at commit).
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class HugeTransactionTests(ITestOutputHelper output)
{
    private const int Rows = 2_000_000;
    private const long Budget = 32L << 20;
    private const long Headroom = 150L << 20;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_two_million_row_transaction_is_delivered_completely_within_the_memory_budget(bool streaming)
    {
        var name = streaming ? "huge_streamed" : "huge_plain";
        await using var env = await FaultEnvironment.StartAsync(name, "CREATE TABLE narrow (id int PRIMARY KEY);");
        await using var cdc = env.StartCdc("--max-in-flight-bytes", Budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--streaming", streaming ? "true" : "false");
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        var baseline = ProcessMemory.ResidentBytes(cdc.Id);

        var clock = Stopwatch.StartNew();
        await env.Postgres.ExecuteAsync($"INSERT INTO narrow SELECT g FROM generate_series(1, {Rows}) g", env.Database);
        var committedAt = clock.Elapsed;
        var walEnd = await env.CurrentWalLsnAsync();

        var stored = await StreamCounts.WaitForAsync(env.Nats.Url, env.Stream, $"cdc.{name}.public.narrow", Rows, TimeSpan.FromMinutes(6));
        var deliveredAt = clock.Elapsed;
        await env.WaitForSlotAsync(walEnd, TimeSpan.FromSeconds(60), () => cdc.Output);
        Assert.False(cdc.HasExited, cdc.Output);
        var peak = ProcessMemory.PeakResidentBytes(cdc.Id);

        output.WriteLine($"streaming {streaming}: {Rows} rows committed in {committedAt.TotalSeconds:F1}s, all in JetStream after {deliveredAt.TotalSeconds:F1}s; "
            + $"cdc RSS at start {baseline >> 20} MiB, peak (VmHWM) {peak >> 20} MiB; budget {Budget >> 20} MiB + {Headroom >> 20} MiB");
        Assert.Equal((ulong)Rows, stored);
        Assert.True(peak < Budget + Headroom, $"peak RSS {peak >> 20} MiB is over {(Budget + Headroom) >> 20} MiB");
    }
}
