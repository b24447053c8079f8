using Cdc.Testing;

namespace Cdc.IntegrationTests.Cli;

/// <summary><c>cdc check</c>: what <c>cdc run</c> would do and what would stop it, with nothing changed.</summary>
public sealed class CheckCommandTests
{
    [Fact]
    public async Task Check_reports_what_run_would_create_and_creates_nothing()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await pg.ExecuteAsync("CREATE TABLE orders (id int PRIMARY KEY); CREATE TABLE audit_log (note text);");

        var (exitCode, output) = await CdcProcess.RunAsync(
            ["check", "--connection", pg.ConnectionString(), "--nats", nats.Url, "--stream", "CHECKED"], TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, output);
        Assert.Contains("ok    postgresql  ", output, StringComparison.Ordinal);
        Assert.Contains("plan  publication cdc does not exist: cdc run would create it for the 1 tables with a key, and cdc_inserts (inserts and truncates only", output, StringComparison.Ordinal);
        Assert.Contains("without one: public.audit_log", output, StringComparison.Ordinal);
        Assert.Contains("plan  slot        cdc does not exist", output, StringComparison.Ordinal);
        Assert.Contains("ok    nats        connected to", output, StringComparison.Ordinal);
        Assert.Contains("plan  stream      CHECKED does not exist: cdc run would create it", output, StringComparison.Ordinal);
        Assert.EndsWith("cdc run would start (exit 0); nothing was changed", output.Trim(), StringComparison.Ordinal);
        Assert.Equal(0L, await pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots"));
        Assert.Equal(0L, await pg.ScalarAsync<long>("SELECT count(*) FROM pg_publication"));
    }

    [Fact]
    public async Task Check_names_every_problem_that_would_stop_run_and_exits_1()
    {
        await using var pg = await PostgresServer.StartAsync(new Dictionary<string, string> { ["wal_level"] = "replica" });

        var (exitCode, output) = await CdcProcess.RunAsync(
            ["check", "--connection", pg.ConnectionString(), "--nats", "nats://127.0.0.1:1"], TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains("FAIL  postgresql  wal_level is 'replica', logical replication needs 'logical'", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  nats        could not connect to any of nats://127.0.0.1:1", output, StringComparison.Ordinal);
        Assert.EndsWith("cdc run would stop: 2 problems above (exit 1); nothing was changed", output.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_refuses_a_bad_setting_like_run_with_exit_2()
    {
        var (exitCode, output) = await CdcProcess.RunAsync(
            ["check", "--connection", "Host=127.0.0.1;Port=1;Database=shop", "--set", "Cdc:Nats:BatchMaxRowz=5"], TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.Equal("cdc check: Cdc:Nats:BatchMaxRowz is not a setting: did you mean Cdc:Nats:BatchMaxRows?", output.Trim());
    }
}
