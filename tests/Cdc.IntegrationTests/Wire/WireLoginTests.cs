using Cdc.Listener.Replication.Wire;
using Npgsql;

namespace Cdc.IntegrationTests.Wire;

/// <summary>Logging in to a real PostgreSQL 15 with each pg_hba method, then streaming a real slot.</summary>
[Collection(WireServerCollection.Name)]
public sealed class WireLoginTests(WireServerFixture fixture)
{
    [Theory]
    [InlineData("scram_user", "scram-sha-256")]
    [InlineData("md5_user", "md5")]
    [InlineData("clear_user", "password")]
    [InlineData("trust_user", "trust")]
    public async Task Login_streams_an_insert_confirms_it_and_ends(string user, string method)
    {
        var slot = await WireSlot.CreateAsync(fixture.Server, "login_" + user);
        try
        {
            var password = method == "trust" ? null : user + "_pw";
            await using var connection = await WireSlot.OpenAsync(fixture.ConnectionString(user, password));

            Assert.StartsWith("15.", connection.ServerVersion, StringComparison.Ordinal);
            Assert.Equal("UTF8", connection.Parameters["client_encoding"]);
            await slot.StreamOneInsertAsync(connection);
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task Md5_role_really_has_an_md5_verifier()
    {
        // Otherwise the md5 pg_hba line would silently run SCRAM and the md5 login above would prove nothing.
        var stored = await fixture.Server.ScalarAsync<string>("SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_user'");

        Assert.StartsWith("md5", stored, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("scram_user")]
    [InlineData("md5_user")]
    [InlineData("clear_user")]
    public async Task Wrong_password_is_the_servers_28P01(string user)
    {
        var e = await Assert.ThrowsAsync<PostgresException>(() => WireSlot.OpenAsync(fixture.ConnectionString(user, "not the password")));

        Assert.Equal("28P01", e.SqlState);
        Assert.Contains(user, e.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_password_when_the_server_asks_for_one_is_an_authentication_error_naming_the_sources()
    {
        var settings = ReplicationConnectionSettings.From(fixture.ConnectionString("scram_user")) with { Password = null };

        var e = await Assert.ThrowsAsync<PgAuthenticationException>(() => WireSlot.OpenAsync(settings));

        Assert.Contains("'scram_user'", e.Message, StringComparison.Ordinal);
        Assert.Contains("PGPASSWORD", e.Message, StringComparison.Ordinal);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task Password_from_a_pgpass_file_logs_in()
    {
        var directory = Directory.CreateTempSubdirectory("cdc-wire-pgpass-");
        try
        {
            var passfile = Path.Combine(directory.FullName, "pgpass");
            await File.WriteAllTextAsync(passfile, $"# test\n127.0.0.1:{fixture.Server.Port}:postgres:scram_user:scram_user_pw\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var builder = new NpgsqlConnectionStringBuilder(fixture.ConnectionString("scram_user")) { Passfile = passfile };
            var slot = await WireSlot.CreateAsync(fixture.Server, "login_pgpass");
            try
            {
                await using var connection = await WireSlot.OpenAsync(builder.ConnectionString);

                await slot.StreamOneInsertAsync(connection);
            }
            finally
            {
                await slot.DropAsync();
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Unix_socket_directory_as_host_connects_over_the_socket()
    {
        var builder = new NpgsqlConnectionStringBuilder(fixture.ConnectionString("postgres", applicationName: "wire_unix"))
        {
            Host = fixture.Server.SocketDirectory,
        };
        var slot = await WireSlot.CreateAsync(fixture.Server, "unix_socket");
        try
        {
            await using var connection = await WireSlot.OpenAsync(builder.ConnectionString);

            // A Unix-socket backend has no client address; a TCP one would show 127.0.0.1.
            Assert.Equal(1L, await fixture.Server.ScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wire_unix' AND backend_type = 'walsender' AND client_addr IS NULL AND client_port = -1"));
            await slot.StreamOneInsertAsync(connection);
        }
        finally
        {
            await slot.DropAsync();
        }
    }
}
