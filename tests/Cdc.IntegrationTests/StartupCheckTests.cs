using Cdc.Testing;

namespace Cdc.IntegrationTests;

/// <summary>Start-up checks refuse a server that cannot work, in one line that says what to change.</summary>
public sealed class StartupCheckTests
{
    [Fact]
    public async Task An_existing_publication_that_misses_a_configured_table_is_refused_with_the_fix()
    {
        await using var pg = await PostgresServer.StartAsync();
        await pg.ExecuteAsync("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY); CREATE PUBLICATION pub FOR TABLE a;");

        var (exitCode, output) = await CdcProcess.RunAsync(
            ["run", "--connection", pg.ConnectionString(), "--publication", "pub", "--tables", "a,b", "--http", "off", "--nats", "nats://127.0.0.1:1"],
            TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains("publication 'pub' does not publish public.b", output, StringComparison.Ordinal);
        Assert.Contains("ALTER PUBLICATION \"pub\" ADD TABLE \"public\".\"b\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_free_replication_slot_is_refused_with_the_setting_to_raise()
    {
        await using var pg = await PostgresServer.StartAsync(new Dictionary<string, string> { ["max_replication_slots"] = "1" });
        await pg.ExecuteAsync("SELECT pg_create_logical_replication_slot('other', 'pgoutput')");

        var (exitCode, output) = await CdcProcess.RunAsync(
            ["run", "--connection", pg.ConnectionString(), "--http", "off", "--nats", "nats://127.0.0.1:1"],
            TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains("all 1 replication slots are in use (max_replication_slots)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_initial_snapshot_without_a_second_free_slot_is_refused_before_anything_is_created()
    {
        await using var pg = await PostgresServer.StartAsync(new Dictionary<string, string> { ["max_replication_slots"] = "1" });

        var (exitCode, output) = await CdcProcess.RunAsync(
            ["run", "--connection", pg.ConnectionString(), "--http", "off", "--nats", "nats://127.0.0.1:1", "--snapshot", "initial"],
            TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains("the initial snapshot needs 2 (its temporary slot and 'cdc'): raise max_replication_slots", output, StringComparison.Ordinal);
        Assert.Equal(0L, await pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots"));
        Assert.Equal(0L, await pg.ScalarAsync<long>("SELECT count(*) FROM pg_publication"));
    }

    [Fact]
    public async Task A_role_without_replication_is_told_how_to_grant_it()
    {
        await using var pg = await PostgresServer.StartAsync();
        await pg.ExecuteAsync("CREATE ROLE app LOGIN");
        var connection = pg.ConnectionString().Replace("Username=postgres", "Username=app", StringComparison.Ordinal);

        var (exitCode, output) = await CdcProcess.RunAsync(
            ["run", "--connection", connection, "--http", "off", "--nats", "nats://127.0.0.1:1"],
            TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains("role 'app' may not replicate: ALTER ROLE \"app\" WITH REPLICATION;", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_without_logical_wal_is_refused_with_the_setting_to_change()
    {
        await using var pg = await PostgresServer.StartAsync(new Dictionary<string, string> { ["wal_level"] = "replica" });

        var (exitCode, output) = await CdcProcess.RunAsync(
            ["run", "--connection", pg.ConnectionString(), "--http", "off", "--nats", "nats://127.0.0.1:1"],
            TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains("wal_level is 'replica', logical replication needs 'logical'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_status_interval_not_below_wal_sender_timeout_is_warned_about()
    {
        await using var pg = await PostgresServer.StartAsync(new Dictionary<string, string> { ["wal_sender_timeout"] = "5s" });
        await using var cdc = CdcProcess.Start(
            ["run", "--connection", pg.ConnectionString(), "--http", "off", "--sink", "null", "--set", "Cdc:StatusInterval=00:00:05"]);

        await cdc.WaitForOutputAsync("Cdc:StatusInterval (5 s) is not below the server's wal_sender_timeout (5 s)", TimeSpan.FromSeconds(60));
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60)); // a warning, not a refusal
    }
}
