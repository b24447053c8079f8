using Npgsql;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// Conditions a retry cannot fix stop cdc with exit code 1 and one stderr line that says why, instead of
/// a reconnect loop forever: the slot dropped or invalidated while running, the publication missing and
/// not to be created, the login refused. Cdc classifies server errors by SQLSTATE and the catalog, never by their
/// text: the same conditions on a server whose messages are in German give the same lines.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class FatalConditionTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(null)]
    [InlineData("de")]
    public async Task A_slot_dropped_while_running_stops_cdc_with_a_one_line_reason(string? serverLanguage)
    {
        await using var env = await FaultEnvironment.StartAsync("fatal_drop", "CREATE TABLE t (id int PRIMARY KEY);", messagesLanguage: serverLanguage);
        await using var cdc = SeparatedRun.Start(env.RunArguments());
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        // An operator drops the slot: the walsender must be stopped first, and cdc reconnects in between.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await env.Postgres.ExecuteAsync(
                $"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '{env.Slot}' AND active_pid IS NOT NULL", env.Database);
            await Task.Delay(50);
            try
            {
                await env.Postgres.ExecuteAsync($"SELECT pg_drop_replication_slot('{env.Slot}')", env.Database);
                break;
            }
            catch (PostgresException e) when (e.SqlState == "55006" && DateTime.UtcNow < deadline)
            {
                // Active again (cdc reconnected): terminate again.
            }
        }

        await cdc.WaitForExitAsync(ExitTimeout);
        Assert.Equal(1, cdc.ExitCode);
        var line = Assert.Single(cdc.ErrorLines);
        Assert.StartsWith("cdc: ", line, StringComparison.Ordinal);
        Assert.Contains($"slot '{env.Slot}' does not exist", line, StringComparison.Ordinal);
        if (serverLanguage == "de")
        {
            // The server's own words are quoted after Cdc's: they were German, and Cdc understood them without reading them.
            Assert.Contains("existiert nicht", line, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("de")]
    public async Task A_slot_invalidated_while_running_stops_cdc_with_a_one_line_reason(string? serverLanguage)
    {
        // One WAL segment of slack: a slot that falls 16 MB behind is invalidated at the next checkpoint.
        await using var env = await FaultEnvironment.StartAsync("fatal_lost", "CREATE TABLE t (id int PRIMARY KEY); CREATE UNLOGGED TABLE filler (x int);",
            new Dictionary<string, string> { ["max_slot_wal_keep_size"] = "'16MB'" }, messagesLanguage: serverLanguage);
        await using var cdc = SeparatedRun.Start(env.RunArguments("--tables", "public.t"));
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        // NATS is down, so a change stays unacknowledged and the slot cannot move; then WAL piles up past the limit.
        await env.Nats.KillAsync();
        await env.Postgres.ExecuteAsync("INSERT INTO t VALUES (1)", env.Database);
        for (var i = 0; i < 4; i++)
        {
            await env.Postgres.ExecuteAsync("CREATE TABLE IF NOT EXISTS pad (x int); DROP TABLE pad; SELECT pg_switch_wal();", env.Database);
        }

        await env.Postgres.ExecuteAsync("CHECKPOINT", env.Database);
        Assert.Equal("lost", await env.Postgres.ScalarAsync<string>($"SELECT wal_status FROM pg_replication_slots WHERE slot_name = '{env.Slot}'", env.Database));

        // What was received is still delivered once NATS is back; then the slot's state is fatal.
        await env.Nats.StartExistingAsync();
        await cdc.WaitForExitAsync(ExitTimeout);
        Assert.Equal(1, cdc.ExitCode);
        var line = Assert.Single(cdc.ErrorLines);
        Assert.StartsWith("cdc: ", line, StringComparison.Ordinal);
        Assert.Contains($"slot '{env.Slot}'", line, StringComparison.Ordinal);
        Assert.Contains("invalidated", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("de")]
    public async Task A_publication_dropped_while_running_stops_cdc_naming_the_publication_not_the_slot(string? serverLanguage)
    {
        // SQLSTATE 42704 is the same for a missing slot and a missing publication: the catalog tells them apart.
        await using var env = await FaultEnvironment.StartAsync("fatal_pubdrop", "CREATE TABLE t (id int PRIMARY KEY);", messagesLanguage: serverLanguage);
        await using var cdc = SeparatedRun.Start(env.RunArguments());
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        await env.Postgres.ExecuteAsync($"DROP PUBLICATION {env.Publication}; INSERT INTO t VALUES (1);", env.Database);

        await cdc.WaitForExitAsync(ExitTimeout);
        Assert.Equal(1, cdc.ExitCode);
        var line = Assert.Single(cdc.ErrorLines);
        Assert.StartsWith("cdc: ", line, StringComparison.Ordinal);
        Assert.Contains($"publication '{env.Publication}' does not exist", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("de")]
    public async Task A_missing_publication_cdc_may_not_create_stops_cdc_with_a_one_line_reason(string? serverLanguage)
    {
        await using var env = await FaultEnvironment.StartAsync("fatal_pub", "CREATE TABLE t (id int PRIMARY KEY);", messagesLanguage: serverLanguage);
        await using var cdc = SeparatedRun.Start(env.RunArguments("--set", "Cdc:CreatePublication=false"));

        await cdc.WaitForExitAsync(ExitTimeout);
        Assert.Equal(1, cdc.ExitCode);
        var line = Assert.Single(cdc.ErrorLines);
        Assert.StartsWith("cdc: ", line, StringComparison.Ordinal);
        Assert.Contains($"publication '{env.Publication}' does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_login_stops_cdc_with_a_one_line_reason_that_does_not_show_the_password()
    {
        await using var env = await FaultEnvironment.StartAsync("fatal_auth", "CREATE TABLE t (id int PRIMARY KEY);");
        await env.Postgres.ExecuteAsync("CREATE ROLE cdc_user LOGIN REPLICATION PASSWORD 'right-password'");

        // The server trusts everyone: require a password from this role (md5) and reload.
        await env.Postgres.WriteHbaAsync("host all cdc_user 127.0.0.1/32 md5", "host replication cdc_user 127.0.0.1/32 md5");

        var connection = new NpgsqlConnectionStringBuilder(env.Connection) { Username = "cdc_user", Password = "Wr0ng-Passw0rd" }.ConnectionString;
        var arguments = env.RunArguments();
        arguments[arguments.IndexOf("--connection") + 1] = connection;
        await using var cdc = SeparatedRun.Start(arguments);

        await cdc.WaitForExitAsync(ExitTimeout);
        Assert.Equal(1, cdc.ExitCode);
        var line = Assert.Single(cdc.ErrorLines);
        Assert.StartsWith("cdc: ", line, StringComparison.Ordinal);
        Assert.Contains("password authentication failed", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Wr0ng-Passw0rd", cdc.StandardOutput + cdc.StandardError, StringComparison.Ordinal);
    }
}
