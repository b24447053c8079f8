using System.Diagnostics;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Networks;
using Npgsql;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// A primary and a streaming standby (made by pg_basebackup inside the standby's container) on one Docker network;
/// cdc is given <c>Host=standby,primary</c> with Target Session Attributes=primary, so it streams from whichever is
/// primary. The primary is shut down under write load and the standby promoted.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const string PhysicalSlot = "standby_slot";

    [Fact]
    public async Task On_PostgreSQL_17_cdc_follows_a_promoted_standby_with_the_synced_failover_slot_losing_and_repeating_nothing()
    {
        await using var pair = await Pair.StartAsync("failover_17", PostgresVersion.V17);
        await using var cdc = CdcProcess.Start(pair.RunArguments());
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await pair.AssertStreamingFromPrimaryAsync();
        Assert.True(await pair.Primary.ScalarAsync<bool>($"SELECT failover FROM pg_replication_slots WHERE slot_name = '{pair.Slot}'", pair.Database),
            "cdc's slot on PostgreSQL 17 is not a failover slot");

        var workload = new Workload(pair.Connection, seed: 17);
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(() => workload.RunAsync(_ => !stop.IsCancellationRequested));
        await Eventually.UntilAsync(() => workload.CommittedChanges >= 20_000, TimeSpan.FromMinutes(3), "20,000 committed changes", writing);

        // The standby's copy of the slot must be persistent (synced, no longer temporary) before it can be used after promotion.
        await pair.WaitForSlotSyncedAsync(TimeSpan.FromSeconds(90), () => cdc.Output);
        var beforePromotion = workload.CommittedChanges;
        var failover = Stopwatch.StartNew();
        await pair.Primary.StopAsync();
        await pair.Standby.ExecuteAsync("SELECT pg_promote(true, 60)");
        var promoted = failover.Elapsed;
        await Eventually.UntilAsync(() => cdc.Output.Contains("Followed a promotion", StringComparison.Ordinal), TimeSpan.FromSeconds(120),
            "cdc streaming from the promoted standby", writing, () => cdc.Output);
        output.WriteLine($"primary stopped and standby promoted in {promoted.TotalSeconds:F1} s; cdc streaming from it {failover.Elapsed.TotalSeconds:F1} s after the stop");
        output.WriteLine(cdc.Output.Split('\n').First(l => l.Contains("Followed a promotion", StringComparison.Ordinal)));
        await Eventually.UntilAsync(() => workload.CommittedChanges >= beforePromotion + 20_000, TimeSpan.FromMinutes(3),
            "20,000 changes committed on the promoted standby", writing, () => cdc.Output);
        await stop.CancelAsync();
        await writing;

        var committed = await Workload.CountCommittedChangesAsync(pair.StandbyConnection);
        await SlotPosition.WaitForConfirmedAsync(pair.Standby, pair.Slot, await SlotPosition.CurrentWalLsnAsync(pair.Standby, pair.Database),
            TimeSpan.FromSeconds(120), pair.Database, () => cdc.Output);
        var changes = await StreamContents.ReadAllAsync(pair.Nats.Url, pair.Stream);
        output.WriteLine($"{committed} changes committed, {changes.Count} in the stream; {workload.Retries} writer retries");
        StreamAssertions.ExactlyOnceInCommitOrder(changes, pair.Slot, committed);
        await StreamAssertions.ReplayReproducesTablesAsync(changes, pair.StandbyConnection, Workload.Projections);

        // Ids carry the timeline each commit lies on: changes from before and after the promotion both reached the stream.
        var timelines = changes.Select(c => c.MessageId.Split(':')[1]).Distinct().Order().ToList();
        Assert.Equal(["00000001", "00000002"], timelines);
        Assert.Contains("Followed a promotion: timeline 1 -> 2", cdc.Output, StringComparison.Ordinal);
        Assert.False(cdc.HasExited, cdc.Output);
    }

    [Fact]
    public async Task On_PostgreSQL_15_a_promoted_standby_has_no_slot_and_cdc_stops_with_one_line_saying_so()
    {
        await using var pair = await Pair.StartAsync("failover_15", PostgresVersion.V15);
        await using var cdc = CdcProcess.Start(pair.RunArguments());
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await pair.AssertStreamingFromPrimaryAsync();

        var workload = new Workload(pair.Connection, seed: 15);
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(() => workload.RunAsync(_ => !stop.IsCancellationRequested));
        await Eventually.UntilAsync(() => workload.CommittedChanges >= 10_000, TimeSpan.FromMinutes(3), "10,000 committed changes", writing);
        await pair.Primary.StopAsync();
        await pair.Standby.ExecuteAsync("SELECT pg_promote(true, 60)");

        Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(120)), "cdc kept running without its slot:\n" + cdc.Output);
        await stop.CancelAsync();
        await writing;
        Assert.NotEqual(0, cdc.ExitCode);
        var reason = cdc.Output.Split('\n').Where(l => l.Contains($"slot '{pair.Slot}' does not exist any more on this server", StringComparison.Ordinal)).ToList();
        Assert.True(reason.Count >= 1, cdc.Output);
        output.WriteLine(reason[0]);
        Assert.Contains("PostgreSQL 17 failover slots", reason[0], StringComparison.Ordinal);
        Assert.Equal(0L, await pair.Standby.ScalarAsync<long>($"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{pair.Slot}'", pair.Database));
    }

    /// <summary>The two servers, NATS, and cdc's command line with both hosts, the standby first.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private Pair(INetwork network, PostgresServer primary, PostgresServer standby, NatsServer nats, string database)
        {
            Network = network;
            Primary = primary;
            Standby = standby;
            Nats = nats;
            Database = database;
            Connection = new NpgsqlConnectionStringBuilder
            {
                Host = $"127.0.0.1:{standby.Port},127.0.0.1:{primary.Port}",
                Username = "postgres",
                Database = database,
                TargetSessionAttributes = "primary",
                Pooling = false,
                Timeout = 5,
                CommandTimeout = 120,
            }.ConnectionString;
            StandbyConnection = standby.ConnectionString(database);
        }

        public INetwork Network { get; }

        public PostgresServer Primary { get; }

        public PostgresServer Standby { get; }

        public NatsServer Nats { get; }

        public string Database { get; }

        public string Slot => Database;

        public string Stream => Database.ToUpperInvariant();

        /// <summary><c>Host=standby,primary</c> with Target Session Attributes=primary.</summary>
        public string Connection { get; }

        public string StandbyConnection { get; }

        public static async Task<Pair> StartAsync(string database, PostgresVersion version)
        {
            var network = new NetworkBuilder().WithName($"cdc-{database}-{Guid.NewGuid():N}"[..40]).Build();
            await network.CreateAsync();
            var started = new List<IAsyncDisposable> { network };
            try
            {
                var primary = await PostgresServer.StartAsync(network, "primary", version: version);
                started.Add(primary);
                await primary.CreateDatabaseAsync(database);
                await primary.ExecuteAsync(Workload.Schema, database);
                var standbySettings = version >= PostgresVersion.V17
                    ? new Dictionary<string, string> { ["sync_replication_slots"] = "on", ["hot_standby_feedback"] = "on" }
                    : new Dictionary<string, string> { ["hot_standby_feedback"] = "on" };
                var standby = await PostgresServer.StartStandbyAsync(network, "primary", PhysicalSlot, standbySettings, version);
                started.Add(standby);
                if (version >= PostgresVersion.V17)
                {
                    // Set after the base backup, so the standby does not inherit it: the slot sends cdc nothing the standby lacks.
                    await primary.ConfigureAsync(new Dictionary<string, string> { ["synchronized_standby_slots"] = $"'{PhysicalSlot}'" });
                }

                var nats = await NatsServer.StartAsync();
                started.Add(nats);
                return new Pair(network, primary, standby, nats, database);
            }
            catch
            {
                started.Reverse();
                foreach (var resource in started)
                {
                    await resource.DisposeAsync();
                }

                throw;
            }
        }

        public List<string> RunArguments() =>
        [
            "run", "--connection", Connection, "--nats", Nats.Url, "--slot", Slot, "--publication", Slot + "_pub",
            "--stream", Stream, "--subject-prefix", "cdc", "--shutdown-timeout", "00:00:05", "--http", "off",
            "--tables", "public.accounts,public.items,public.ledger",
        ];

        /// <summary>Issue 12: with the standby listed first, setup and replication both reached the primary.</summary>
        public async Task AssertStreamingFromPrimaryAsync()
        {
            Assert.True(await Primary.ScalarAsync<bool>($"SELECT active FROM pg_replication_slots WHERE slot_name = '{Slot}'", Database),
                "cdc's slot is not active on the primary");
            Assert.Equal(0L, await Standby.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cdc'"));
        }

        public async Task WaitForSlotSyncedAsync(TimeSpan timeout, Func<string> diagnostics)
        {
            var sql = $"SELECT coalesce((SELECT synced AND NOT temporary FROM pg_replication_slots WHERE slot_name = '{Slot}'), false)";
            var deadline = DateTime.UtcNow + timeout;
            while (!await Standby.ScalarAsync<bool>(sql, Database))
            {
                Assert.True(DateTime.UtcNow < deadline, $"cdc's slot was not synced to the standby in {timeout.TotalSeconds} s\n{Standby.ReadLogTail()}\n{diagnostics()}");
                await Task.Delay(250);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Nats.DisposeAsync();
            await Standby.DisposeAsync();
            await Primary.DisposeAsync();
            await Network.DisposeAsync();
        }
    }
}
