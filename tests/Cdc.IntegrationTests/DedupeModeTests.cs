using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests;

/// <summary>
/// Overload mode (Cdc:Pusher:Dedupe): while NATS lags, only each row's newest pending change is kept;
/// consumers skip intermediate versions but every row ends at its latest state, in commit order.
/// </summary>
public sealed class DedupeModeTests
{
    private const int Rows = 20;
    private const int Rounds = 500;

    [Fact]
    public async Task While_NATS_lags_only_the_newest_change_per_row_is_kept_and_every_row_ends_at_its_latest_state()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await pg.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)");
        await using var cdc = CdcProcess.Start(
            ["run", "--connection", pg.ConnectionString(), "--nats", nats.Url, "--stream", "S", "--http", "off", "--dedupe", "true",
             "--set", "Cdc:Nats:MaxPendingAcks=16"]);
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        await pg.ExecuteAsync($"INSERT INTO t SELECT g, 0 FROM generate_series(1, {Rows}) g");
        Assert.Equal(Rows, (await StreamContents.WaitForAsync(nats.Url, "S", Rows, TimeSpan.FromSeconds(30))).Count);

        // NATS goes away while every row is updated many times: far more changes than the sink holds.
        await nats.KillAsync();
        await using (var conn = new NpgsqlConnection(pg.ConnectionString()))
        {
            await conn.OpenAsync();
            for (var round = 1; round <= Rounds; round++)
            {
                await using var cmd = new NpgsqlCommand($"UPDATE t SET v = {round}", conn);
                await cmd.ExecuteNonQueryAsync();
            }
        }

        // NATS comes back only once cdc holds every update (it says so in a status update): they all meet the lag.
        var walEnd = await SlotPosition.CurrentWalLsnAsync(pg);
        await SlotPosition.WaitForReceivedAsync(pg, "cdc", walEnd, TimeSpan.FromSeconds(60), diagnostics: () => cdc.Output);
        await nats.StartExistingAsync();
        await SlotPosition.WaitForConfirmedAsync(pg, "cdc", walEnd, TimeSpan.FromSeconds(90), diagnostics: () => cdc.Output);

        var changes = await StreamContents.ReadAllAsync(nats.Url, "S");
        var committed = Rows + (Rows * Rounds);
        Assert.True(changes.Count < committed / 2, $"{changes.Count} of {committed} changes stored: nothing was skipped");
        Assert.Equal(changes.Count, changes.Select(c => c.MessageId).Distinct().Count());

        foreach (var row in changes.GroupBy(c => c.Event.NewRow[0].Value.Int))
        {
            var ordered = row.OrderBy(c => c.Sequence).ToList();
            var positions = ordered.Select(c => (c.Event.EndLsn, c.Event.Index)).ToList();
            Assert.Equal(positions.OrderBy(p => p.EndLsn).ThenBy(p => p.Index), positions);
            Assert.Equal(Rounds, ordered[^1].Event.NewRow[1].Value.Int);
        }

        Assert.Equal(Rows, changes.Select(c => c.Event.NewRow[0].Value.Int).Distinct().Count());
    }
}
