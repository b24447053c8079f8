using Cdc.Testing;
using System.Diagnostics;
using Cdc.IntegrationTests.Support;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// The slot is exclusive: a second <c>cdc run</c> on it waits as a warm standby and takes over within
/// seconds when the active one dies, and the changes committed around the takeover arrive exactly once.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class StandbyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Takeover = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_standby_takes_over_promptly_when_the_active_instance_is_killed_and_nothing_is_lost_or_doubled()
    {
        await using var env = await FaultEnvironment.StartAsync("standby", Workload.Schema);
        var arguments = new[] { "--tables", "public.accounts,public.items,public.ledger" };
        await using var active = env.StartCdc(arguments);
        await active.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await using var standby = env.StartCdc(arguments);
        await standby.WaitForOutputAsync("standing by", TimeSpan.FromSeconds(60));

        // Changes flow through the active instance while the standby keeps retrying.
        var workload = new Workload(env.Connection, seed: 7);
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(() => workload.RunAsync(_ => !stop.IsCancellationRequested));
        await Eventually.UntilAsync(() => workload.CommittedChanges >= 20_000, TimeSpan.FromMinutes(3), "20,000 committed changes", writing);

        Assert.DoesNotContain("Replicating slot", standby.Output, StringComparison.Ordinal);
        var clock = Stopwatch.StartNew();
        await active.KillAsync();
        await standby.WaitForOutputAsync("Replicating slot", Takeover);
        var takeover = clock.Elapsed;
        output.WriteLine($"standby replicating {takeover.TotalSeconds:F1}s after the active instance was killed");

        // Keep writing after the takeover, then stop and let the standby catch up.
        var atTakeover = workload.CommittedChanges;
        await Eventually.UntilAsync(() => workload.CommittedChanges >= atTakeover + 20_000, TimeSpan.FromMinutes(3), "20,000 changes after the takeover", writing);

        await stop.CancelAsync();
        await writing;
        await env.AssertWorkloadDeliveredAsync(() => standby.Output);
        Assert.True(takeover < Takeover, $"takeover took {takeover}");
    }
}
