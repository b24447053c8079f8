using Cdc.Listener.Replication.Wire;
using Npgsql;

namespace Cdc.Listener.Tests.Wire;

public sealed class ReplicationConnectionSettingsTests
{
    private const string Base = "Username=cdc;Database=app;Passfile=/nonexistent/pgpass;";

    [Fact]
    public void Host_list_gives_each_host_its_own_port_or_the_default()
    {
        var settings = ReplicationConnectionSettings.From(Base + "Host=db1:5433,db2,10.0.0.7:6000;Port=5444");

        Assert.Equal([("db1", 5433), ("db2", 5444), ("10.0.0.7", 6000)], settings.Endpoints);
    }

    [Fact]
    public void IPv6_addresses_in_brackets_may_carry_a_port_and_bare_ones_do_not()
    {
        var settings = ReplicationConnectionSettings.From(Base + "Host=[::1]:5433,[fe80::2],::1");

        Assert.Equal([("::1", 5433), ("fe80::2", 5432), ("::1", 5432)], settings.Endpoints);
    }

    [Fact]
    public void Unix_socket_directory_is_kept_whole_with_the_port()
    {
        var settings = ReplicationConnectionSettings.From(Base + "Host=/var/run/postgresql;Port=5433");

        var (host, port) = Assert.Single(settings.Endpoints);
        Assert.Equal("/var/run/postgresql", host);
        Assert.Equal(5433, port);
        Assert.True(PgTransport.IsUnixSocket(host));
    }

    [Theory]
    [InlineData("db:0")]
    [InlineData("db:65536")]
    [InlineData("db:abc")]
    [InlineData("[::1]:-1")]
    public void Invalid_port_is_a_configuration_error_naming_the_host(string host)
    {
        var e = Assert.Throws<CdcConfigurationException>(() => ReplicationConnectionSettings.From(Base + $"Host={host}"));

        Assert.Contains(host, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_follow_libpq_and_npgsql()
    {
        var settings = ReplicationConnectionSettings.From(Base + "Host=db;Password=pw");

        Assert.Equal([("db", 5432)], settings.Endpoints);
        Assert.Equal("cdc", settings.User);
        Assert.Equal("app", settings.Database);
        Assert.Equal("pw", settings.Password);
        Assert.Equal(SslMode.Prefer, settings.SslMode);
        Assert.Equal("cdc", settings.ApplicationName);
        Assert.Equal(TimeSpan.FromSeconds(15), settings.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.KeepAliveTime);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.KeepAliveInterval);
        Assert.Null(settings.RootCertificate);
        Assert.Equal(0, settings.ReceiveBufferSize); // kernel autotuning unless Socket Receive Buffer Size is set
    }

    [Fact]
    public void Npgsql_keys_are_carried_over()
    {
        var settings = ReplicationConnectionSettings.From(
            Base + "Host=db;SSL Mode=VerifyFull;Root Certificate=/etc/ca.pem;Application Name=mine;Timeout=3;Keepalive=0;Tcp Keepalive Time=7;Tcp Keepalive Interval=2;Options=-c a=b",
            "-c c=d");

        Assert.Equal(SslMode.VerifyFull, settings.SslMode);
        Assert.Equal("/etc/ca.pem", settings.RootCertificate);
        Assert.Equal("mine", settings.ApplicationName);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), settings.KeepAliveTime);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.KeepAliveInterval);
        Assert.Equal("-c a=b -c c=d", settings.Options);
    }

    [Fact]
    public void Channel_binding_require_is_refused_not_ignored()
    {
        var e = Assert.Throws<CdcConfigurationException>(() => ReplicationConnectionSettings.From(Base + "Host=db;Channel Binding=Require"));

        Assert.Contains("Channel Binding", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Password_from_the_connection_string_wins_over_the_password_file_and_never_shows()
    {
        var directory = Directory.CreateTempSubdirectory("cdc-settings-");
        try
        {
            var passfile = Path.Combine(directory.FullName, "pgpass");
            File.WriteAllText(passfile, "db:5432:app:cdc:from-file\nreplica:5433:app:cdc:replica-password\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var explicitPassword = ReplicationConnectionSettings.From($"Host=db;Username=cdc;Database=app;Password=s3cr3t-value;Passfile={passfile}");
            var fromFile = ReplicationConnectionSettings.From($"Host=db;Username=cdc;Database=app;Passfile={passfile}");

            Assert.Equal("s3cr3t-value", explicitPassword.PasswordFor("db", 5432));
            Assert.Equal("from-file", fromFile.PasswordFor("db", 5432));

            // Each host of a list gets its own password file entry.
            Assert.Equal("replica-password", fromFile.PasswordFor("replica", 5433));
            Assert.Null(fromFile.PasswordFor("other", 5432));
            Assert.Equal("db:5432/app as cdc", explicitPassword.ToString());
            Assert.DoesNotContain("s3cr3t", explicitPassword.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("from-file", fromFile.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
