using Cdc.Testing;
using System.Globalization;
using System.Text.RegularExpressions;
using Cdc.IntegrationTests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// Transient faults: PostgreSQL going away is retried with growing, jittered delays and resumes from the
/// confirmed position; NATS going away stops the reading from the slot (bounded memory) and delivery
/// resumes when it is back. Nothing is lost or doubled either way.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed partial class ReconnectTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(PostgresVersion.V15)]
    [InlineData(PostgresVersion.V17)]
    public async Task A_PostgreSQL_restart_mid_stream_is_retried_with_growing_jittered_delays_and_loses_nothing(PostgresVersion version)
    {
        await using var env = await FaultEnvironment.StartAsync("pg_restart", Workload.Schema, version: version);
        await using var cdc = env.StartCdc("--tables", "public.accounts,public.items,public.ledger");
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        var workload = new Workload(env.Connection, seed: 11);
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(() => workload.RunAsync(_ => !stop.IsCancellationRequested));
        await Eventually.UntilAsync(() => workload.CommittedChanges >= 30_000, TimeSpan.FromMinutes(3), "30,000 committed changes", writing);

        // Down for four reconnect attempts: from the fourth on a delay is always more than twice the first.
        await env.Postgres.StopAsync();
        await Eventually.UntilAsync(() => ReconnectDelay().Matches(cdc.Output).Count >= 4, TimeSpan.FromSeconds(60), "four reconnect attempts",
            diagnostics: () => cdc.Output);
        await env.Postgres.StartExistingAsync();
        var atRestart = workload.CommittedChanges;
        await Eventually.UntilAsync(() => workload.CommittedChanges >= atRestart + 30_000, TimeSpan.FromMinutes(3), "30,000 changes after the restart", writing);

        await stop.CancelAsync();
        await writing;
        await env.AssertWorkloadDeliveredAsync(() => cdc.Output);

        var delays = ReconnectDelay().Matches(cdc.Output).Select(m => TimeSpan.FromSeconds(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))).ToList();
        output.WriteLine("reconnect delays: " + string.Join(", ", delays.Select(d => $"{d.TotalSeconds:F2}s")));
        Assert.True(delays.Count >= 3, $"expected several reconnect attempts:\n{cdc.Output}");
        Assert.True(delays[^1] > delays[0] * 2, "the delays did not grow");
        Assert.Equal(delays.Count, delays.Distinct().Count());
        Assert.False(cdc.HasExited, cdc.Output);
    }

    [Fact]
    public async Task Dropped_connections_to_PostgreSQL_are_reconnected_and_resume_from_the_confirmed_position()
    {
        await using var env = await FaultEnvironment.StartAsync("net_drop", Workload.Schema);
        await using var proxy = new TcpDropProxy(env.Postgres.Port);
        var throughProxy = new NpgsqlConnectionStringBuilder(env.Connection) { Port = proxy.Port }.ConnectionString;
        var arguments = env.RunArguments("--tables", "public.accounts,public.items,public.ledger");
        arguments[arguments.IndexOf("--connection") + 1] = throughProxy;
        await using var cdc = Cdc.Testing.CdcProcess.Start(arguments);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        // The workload writes directly; only cdc's connections go through the proxy and are cut, five times.
        var workload = new Workload(env.Connection, seed: 13);
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(() => workload.RunAsync(_ => !stop.IsCancellationRequested));
        for (var drop = 1; drop <= 5; drop++)
        {
            // Each cut hits a running session: the previous one has reconnected and changes are flowing.
            var target = workload.CommittedChanges + 8_000;
            await Eventually.UntilAsync(() => workload.CommittedChanges >= target && Sessions(cdc.Output) >= drop, TimeSpan.FromMinutes(3),
                $"session {drop} streaming with 8,000 more changes", writing, () => cdc.Output);

            proxy.DropAll();
        }

        await stop.CancelAsync();
        await writing;
        await env.AssertWorkloadDeliveredAsync(() => cdc.Output);
        Assert.True(ReconnectDelay().Matches(cdc.Output).Count >= 5, cdc.Output);
        Assert.False(cdc.HasExited, cdc.Output);
    }

    [Fact]
    public async Task While_NATS_is_down_cdc_stops_reading_the_slot_and_delivers_everything_once_NATS_is_back()
    {
        const int Transactions = 2_000;
        const int RowsPerTransaction = 150;
        const long Budget = 4L << 20;
        await using var env = await FaultEnvironment.StartAsync("nats_down", "CREATE TABLE t (id int PRIMARY KEY, payload text NOT NULL);");
        await using var cdc = env.StartCdc("--max-in-flight-bytes", Budget.ToString(CultureInfo.InvariantCulture), "--set", "Logging:LogLevel:Cdc=Debug");
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        await env.Nats.KillAsync();
        // cdc may still confirm WAL without changes (a young server writes some, and a heartbeat is confirmed one byte
        // past its end); none of the writes that follow may be confirmed: the slot stays below the first one's end.
        var firstWriteEnd = string.Empty;
        await using (var conn = new NpgsqlConnection(env.Connection))
        {
            await conn.OpenAsync();
            for (var t = 0; t < Transactions; t++)
            {
                await using var cmd = new NpgsqlCommand(
                    $"INSERT INTO t SELECT g, repeat('x', 100) || g FROM generate_series({(t * RowsPerTransaction) + 1}, {(t + 1) * RowsPerTransaction}) g", conn);
                await cmd.ExecuteNonQueryAsync();
                if (t == 0)
                {
                    firstWriteEnd = await env.CurrentWalLsnAsync();
                }
            }
        }

        // Backpressure: the walsender cannot send past what cdc holds (budget, pipe, socket buffers), so
        // the rest of the WAL waits in PostgreSQL, the slot does not move, and cdc's memory stays bounded.
        // On a loaded machine cdc may still be filling its budget and pipe when the writes end: wait until the
        // walsender's sent position stands still for 3 s (it must, within a minute), then look at where it stopped.
        var walEnd = await env.CurrentWalLsnAsync();
        var sent1 = await SentLsnAsync(env);
        var sent2 = sent1;
        var settleDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        do
        {
            sent1 = sent2;
            await Task.Delay(TimeSpan.FromSeconds(3));
            sent2 = await SentLsnAsync(env);
        }
        while (sent1 != sent2 && DateTime.UtcNow < settleDeadline);

        var behind = await env.Postgres.ScalarAsync<decimal>($"SELECT pg_wal_lsn_diff('{walEnd}', '{sent2}')", env.Database);
        var rss = ProcessMemory.ResidentBytes(cdc.Id);
        output.WriteLine($"NATS down: walsender sent up to {sent2} ({behind / (1 << 20):F1} MiB behind the WAL end {walEnd}); cdc RSS {rss >> 20} MiB");
        Assert.Equal(sent1, sent2);
        Assert.True(behind > 10 << 20, $"the walsender is only {behind} bytes behind: cdc kept reading");
        var confirmedNow = await env.ConfirmedFlushLsnAsync();
        var confirmedPastWrites = await env.Postgres.ScalarAsync<decimal>($"SELECT pg_wal_lsn_diff('{confirmedNow}', '{firstWriteEnd}')", env.Database);
        Assert.True(confirmedPastWrites < 0, $"confirmed {confirmedNow}, at or past {firstWriteEnd} where the first write ended\n{cdc.Output}");
        Assert.False(cdc.HasExited, cdc.Output);

        await env.Nats.StartExistingAsync();
        await env.WaitForSlotAsync(walEnd, TimeSpan.FromSeconds(120), () => cdc.Output);
        var changes = await StreamContents.ReadAllAsync(env.Nats.Url, env.Stream);
        StreamAssertions.ExactlyOnceInCommitOrder(changes, env.Slot, Transactions * RowsPerTransaction);
        await StreamAssertions.ReplayReproducesTablesAsync(changes, env.Connection, new Dictionary<string, string> { ["t"] = "id::text, payload" });
    }

    private static int Sessions(string output) => output.Split("Replicating slot").Length - 1;

    private static async Task<string> SentLsnAsync(FaultEnvironment env)
        => (await env.Postgres.ScalarAsync<string>(
            $"SELECT r.sent_lsn::text FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = '{env.Slot}'",
            env.Database))!;

    [GeneratedRegex(@"Replication interrupted: .*; reconnecting in (\d+\.\d+)s")]
    private static partial Regex ReconnectDelay();
}
