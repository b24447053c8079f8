using System.Diagnostics;
using Cdc.Consumer.Replica;
using Cdc.Consumer.Tests.Support;
using Npgsql;

namespace Cdc.Consumer.Tests;

[Collection(ServersCollection.Name)]
public sealed class CrashTests(ServersFixture servers)
{
    [Fact]
    public async Task A_replica_consumer_process_SIGKILLed_10_times_while_a_writer_runs_ends_with_the_source_rows_and_each_effect_once()
    {
        await using var stream = await TestStream.CreateAsync(servers.Nats.Url, nameof(A_replica_consumer_process_SIGKILLed_10_times_while_a_writer_runs_ends_with_the_source_rows_and_each_effect_once));
        var database = await servers.Postgres.CreateDatabaseAsync("consumer_crash");
        await servers.Postgres.ExecuteAsync(ReplicaApplier.CreateTablesSql, database);
        var connectionString = servers.Postgres.ConnectionString(database);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await CdcConsumerSchema.EnsureAsync(dataSource);

        var workload = new ReplicaWorkload(events: 600, keys: 30, seed: 3);
        var writer = Task.Run(async () =>
        {
            ulong written = 0;
            foreach (var chunk in workload.Changes.Chunk(20))
            {
                foreach (var change in chunk)
                {
                    written = await stream.PublishAsync(change);
                }

                await Task.Delay(40);
            }

            return written;
        });

        var random = new Random(5);
        string[] arguments = [servers.Nats.Url, stream.Name, connectionString];
        for (var kill = 0; kill < 10; kill++)
        {
            var before = ReplicaState.Cursor(dataSource);
            using var process = StartReplica(arguments);
            // Let it get going, then kill it at a random moment (mostly mid-transaction: it pauses inside each one).
            await Cdc.Testing.Eventually.UntilAsync(() => ReplicaState.Cursor(dataSource) > before || process.HasExited,
                TimeSpan.FromSeconds(30), $"kill {kill}: the replica to make progress");
            Assert.False(process.HasExited, $"the replica exited by itself with code {(process.HasExited ? process.ExitCode : 0)}");
            await Task.Delay(random.Next(0, 150));
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var last = await writer;
        using (var process = StartReplica(arguments))
        {
            await Cdc.Testing.Eventually.UntilAsync(() => ReplicaState.Cursor(dataSource) == last || process.HasExited,
                TimeSpan.FromSeconds(60), "the replica to catch up with the writer");
            Assert.False(process.HasExited, "the replica exited by itself");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        Assert.Equal(600UL, last);
        Assert.Equal(Enumerable.Range(1, 600).Select(i => (long)i), await ReplicaState.EffectsAsync(dataSource));
        Assert.Equal(workload.Expected, await ReplicaState.RowsAsync(dataSource));
    }

    private static Process StartReplica(string[] arguments)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cdc.Consumer.Replica.dll"));
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        psi.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the replica process");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
