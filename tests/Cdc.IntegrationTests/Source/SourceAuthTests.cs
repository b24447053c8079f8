using Cdc.Listener;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Source;

/// <summary>
/// How the source connections log in, against a PostgreSQL 15 with a login role per pg_hba method (each role's
/// password is its name with "_pw"): Require Auth, .pgpass as Npgsql reads it, and a password file that rotates.
/// </summary>
public sealed class SourceAuthTests : IAsyncLifetime
{
    private PostgresServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        await _server.ExecuteAsync("""
            SET password_encryption = 'scram-sha-256';
            CREATE ROLE clear_user LOGIN REPLICATION PASSWORD 'clear_user_pw';
            CREATE ROLE pgpass_user LOGIN REPLICATION PASSWORD 'pgpass_user_pw';
            CREATE ROLE rotating_user LOGIN REPLICATION PASSWORD 'rotating_user_pw';
            SET password_encryption = 'md5';
            CREATE ROLE md5_user LOGIN REPLICATION PASSWORD 'md5_user_pw';
            """);
        await _server.WriteHbaAsync(
            "host all md5_user 127.0.0.1/32 md5",
            "host all clear_user 127.0.0.1/32 password",
            "host all all 127.0.0.1/32 scram-sha-256");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("md5_user")]
    [InlineData("clear_user")]
    public async Task Require_auth_scram_refuses_a_server_that_asks_for_a_weaker_method(string user)
    {
        var allowed = Connection(user, user + "_pw");
        await SessionSlot.OpenAsync(new() { Connection = allowed, Slot = "unused" });

        var required = new NpgsqlConnectionStringBuilder(allowed) { RequireAuth = "ScramSHA256" }.ConnectionString;
        var e = await Assert.ThrowsAsync<ReplicationSetupException>(() => SessionSlot.OpenAsync(new() { Connection = required, Slot = "unused" }));

        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task Cdc_run_reads_a_pgpass_file_with_mode_0644_from_PGPASSFILE()
    {
        var slot = await SessionSlot.CreateAsync(_server, "pgpass_0644");
        var directory = Directory.CreateTempSubdirectory("cdc-pgpass-");
        try
        {
            var pgpass = Path.Combine(directory.FullName, "pgpass");
            await File.WriteAllTextAsync(pgpass, $"127.0.0.1:{_server.Port}:*:pgpass_user:pgpass_user_pw\n");
            if (!OperatingSystem.IsWindows())
            {
                // What a Kubernetes secret mounts by default; libpq would skip the file, Npgsql reads it.
                File.SetUnixFileMode(pgpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            await using var cdc = CdcProcess.Start(
                ["run", "--connection", Connection("pgpass_user"), "--slot", slot.Name, "--publication", slot.Publication, "--sink", "null", "--http", "off"],
                new Dictionary<string, string> { ["PGPASSFILE"] = pgpass });

            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            await WaitForWalsenderAsync(slot.Name, "pgpass_user", exceptPid: null);
        }
        finally
        {
            await slot.DropAsync();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_rotated_password_file_is_read_again_at_the_next_reconnect()
    {
        var slot = await SessionSlot.CreateAsync(_server, "rotating");
        var directory = Directory.CreateTempSubdirectory("cdc-password-");
        try
        {
            var passwordFile = Path.Combine(directory.FullName, "token");
            await File.WriteAllTextAsync(passwordFile, "rotating_user_pw\n");
            await using var cdc = CdcProcess.Start(
                ["run", "--connection", Connection("rotating_user"), "--slot", slot.Name, "--publication", slot.Publication, "--sink", "null", "--http", "off",
                 "--set", $"Cdc:PasswordFile={passwordFile}"]);
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            var first = await WaitForWalsenderAsync(slot.Name, "rotating_user", exceptPid: null);

            // The old token expires (the role's password changes) and the session breaks: the refused login is retried.
            await _server.ExecuteAsync("SET password_encryption = 'scram-sha-256'; ALTER ROLE rotating_user PASSWORD 'rotated_pw'");
            await _server.ExecuteAsync($"SELECT pg_terminate_backend({first})");
            await cdc.WaitForOutputAsync("refused the login with the password in Cdc:PasswordFile", TimeSpan.FromSeconds(60));
            Assert.False(cdc.HasExited, "a refused login with a password file must not stop cdc:\n" + cdc.Output);

            // The new token arrives: the next attempt reads it and streams again.
            await File.WriteAllTextAsync(passwordFile, "rotated_pw\n");
            await WaitForWalsenderAsync(slot.Name, "rotating_user", exceptPid: first);
        }
        finally
        {
            await slot.DropAsync();
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Waits for a walsender of <paramref name="user"/> holding <paramref name="slot"/> (not <paramref name="exceptPid"/>); returns its pid.</summary>
    private async Task<int> WaitForWalsenderAsync(string slot, string user, int? exceptPid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var pid = await _server.ScalarAsync<object>($"""
                SELECT a.pid FROM pg_replication_slots r JOIN pg_stat_activity a ON a.pid = r.active_pid
                WHERE r.slot_name = '{slot}' AND a.usename = '{user}' AND a.pid <> {exceptPid ?? 0}
                """);
            if (pid is int found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no walsender of {user} on slot {slot}");
            await Task.Delay(100);
        }
    }

    private string Connection(string user, string? password = null)
        => new NpgsqlConnectionStringBuilder(_server.ConnectionString()) { Username = user, Password = password }.ConnectionString;
}
