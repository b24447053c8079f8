using System.Diagnostics;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// The crash test of issue 4: a workload of at least 200,000 changes runs while cdc is killed with SIGKILL
/// again and again, nats-server is restarted twice and PostgreSQL crashes once; afterwards the stream holds
/// every committed change exactly once, in commit order per table, and replaying it reproduces each table.
/// Per fault it reports what JetStream dropped as duplicates, what Cdc skipped on resume and the recovery time
/// (<see cref="FaultRecorder"/>), into the test output and <c>fault-numbers-&lt;version&gt;.md</c> (beside the test
/// assembly, or in the directory <c>CDC_FAULT_NUMBERS</c> names).
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    private const long MinimumChanges = 200_000;
    private const int Kills = 12;

    [Theory]
    [InlineData(PostgresVersion.V15)]
    [InlineData(PostgresVersion.V17)]
    public async Task Under_SIGKILLs_and_server_restarts_every_committed_change_arrives_exactly_once_in_commit_order(PostgresVersion version)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CDC_FAULT_SEED"), out var s) ? s : 4242;
        // Changes per second the workload is held to while faults come; CDC_FAULT_PACE=0: as fast as it goes.
        var pace = int.TryParse(Environment.GetEnvironmentVariable("CDC_FAULT_PACE"), out var p) && p >= 0 ? p : 4_000;
        output.WriteLine($"CDC_FAULT_SEED={seed} CDC_FAULT_PACE={pace}");
        var random = new Random(seed);

        // Small logical_decoding_work_mem: the server streams the large transactions in progress, so kills
        // also land inside streamed (still undecided) transactions and spilled ones.
        await using var env = await FaultEnvironment.StartAsync("faults", Workload.Schema, new Dictionary<string, string>
        {
            ["logical_decoding_work_mem"] = "'1MB'",
            ["synchronous_commit"] = "on",
        }, version);

        // The duplicate window must cover every replay: a replay goes back to the last confirmed position,
        // which can be older than the default 2 minutes when PostgreSQL or NATS is down for a while in a
        // run of several minutes; 10 minutes covers the whole test.
        var cdcArguments = new[]
        {
            "--tables", "public.accounts,public.items,public.ledger",
            "--max-in-flight-bytes", "8388608",
            "--set", "Cdc:Nats:DuplicateWindow=00:10:00",
        };
        await using var recorder = new FaultRecorder(env.Nats.Url, env.Stream);
        CdcProcess StartCdc(FaultRecorder.Fault? startedBy)
        {
            var port = FreePort.Next();
            recorder.Watch(port, startedBy);
            return env.StartCdc([.. cdcArguments, "--http", $"127.0.0.1:{port}"]);
        }

        var cdc = StartCdc(null);
        var outputs = new List<string>();
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

            // The faults, in a seeded order, spread over about a minute while the workload runs.
            var faults = Enumerable.Repeat("kill", Kills).Concat(["nats", "nats", "postgres"]).OrderBy(_ => random.Next()).ToList();
            var faultsDone = false;
            var clock = Stopwatch.StartNew();
            var workload = new Workload(env.Connection, seed);
            var writing = Task.Run(() => workload.RunAsync(w =>
            {
                // Paced so the faults meet a busy pipeline throughout; full speed once they are over.
                while (pace > 0 && !Volatile.Read(ref faultsDone) && w.CommittedChanges > clock.Elapsed.TotalSeconds * pace)
                {
                    Thread.Sleep(20);
                }

                return !Volatile.Read(ref faultsDone) || w.CommittedChanges < MinimumChanges;
            }));

            var committedAtFault = new List<long>();
            foreach (var fault in faults)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1_500, 4_500)));
                Assert.False(writing.IsFaulted, writing.Exception?.ToString());
                Assert.False(cdc.HasExited, $"cdc exited by itself ({(cdc.HasExited ? cdc.ExitCode : 0)}):\n{cdc.Output}");
                output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s {fault}: {workload.CommittedChanges} changes committed");
                committedAtFault.Add(workload.CommittedChanges);
                var recorded = recorder.Begin(fault);
                switch (fault)
                {
                    case "kill":
                        await cdc.KillAsync();
                        outputs.Add(cdc.Output);
                        await cdc.DisposeAsync();
                        await Task.Delay(random.Next(0, 1_000));
                        cdc = StartCdc(recorded);
                        break;
                    case "nats":
                        await env.Nats.KillAsync();
                        await Task.Delay(random.Next(500, 3_000));
                        await env.Nats.StartExistingAsync();
                        break;
                    default:
                        await env.Postgres.CrashAsync();
                        await Task.Delay(random.Next(500, 3_000));
                        await env.Postgres.StartExistingAsync();
                        break;
                }

                await recorder.BackAsync(recorded);
            }

            Volatile.Write(ref faultsDone, true);
            await writing;
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s workload done: {workload.CommittedTransactions} transactions, "
                + $"{workload.CommittedChanges} changes, {workload.Retries} retried after PostgreSQL went away");

            var committed = await Workload.CountCommittedChangesAsync(env.Connection);
            Assert.Equal(workload.CommittedChanges, committed);
            Assert.True(committed >= MinimumChanges, $"only {committed} changes");

            await env.WaitForSlotAsync(await env.CurrentWalLsnAsync(), TimeSpan.FromMinutes(3), () => cdc.Output);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s slot caught up");
            Assert.False(cdc.HasExited, cdc.Output);

            var changes = await StreamContents.ReadAllAsync(env.Nats.Url, env.Stream);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s read {changes.Count} changes back");
            StreamAssertions.ExactlyOnceInCommitOrder(changes, env.Slot, committed);
            await StreamAssertions.ReplayReproducesTablesAsync(changes, env.Connection, Workload.Projections);
            Assert.Equal(Kills, outputs.Count);

            var numbers = await recorder.FinishAsync();
            var table = FaultRecorder.Markdown(numbers, $"PostgreSQL {version}, seed {seed}: {committed:N0} changes, {workload.CommittedTransactions:N0} transactions")
                + Environment.NewLine + recorder.Coverage + Environment.NewLine;
            output.WriteLine(table);
            var directory = Environment.GetEnvironmentVariable("CDC_FAULT_NUMBERS") is { Length: > 0 } d ? d : AppContext.BaseDirectory;
            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(Path.Combine(directory, $"fault-numbers-{version}.md"), table);
            // A fault after the workload's last commit may find everything stored already: nothing new to recover with.
            Assert.All(numbers.Zip(committedAtFault), n => Assert.True(
                n.First.Recovery is not null || n.Second == workload.CommittedChanges,
                $"no new change stored within 3 minutes of {n.First.Kind} at {n.First.At.TotalSeconds:F1}s"));
        }
        catch
        {
            output.WriteLine("last cdc output:\n" + cdc.Output[Math.Max(0, cdc.Output.Length - 20_000)..]);
            throw;
        }
        finally
        {
            await cdc.DisposeAsync();
            if (Environment.GetEnvironmentVariable("CDC_FAULT_LOG") is { Length: > 0 } log)
            {
                await File.WriteAllTextAsync(log, string.Join("\n===== next cdc =====\n", outputs.Append(cdc.Output)));
            }
        }
    }
}
