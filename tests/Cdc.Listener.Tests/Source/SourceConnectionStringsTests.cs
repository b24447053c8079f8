using Cdc.Listener.Configuration;
using Cdc.Listener.Source;
using Npgsql;

namespace Cdc.Listener.Tests.Source;

/// <summary>What Cdc adds to the user's connection string, and what it leaves to mean what it means in Npgsql.</summary>
public sealed class SourceConnectionStringsTests
{
    private static SourceConnectionStrings For(string connection, string? passwordFile = null)
        => new(new CdcOptions { Connection = connection, PasswordFile = passwordFile });

    [Fact]
    public void The_replication_connection_gets_the_output_settings_after_the_users_options()
    {
        var replication = new NpgsqlConnectionStringBuilder(For("Host=db;Database=shop;Options=-c statement_timeout=5s").ForReplication());

        Assert.Equal("-c statement_timeout=5s " + SourceConnectionStrings.OutputSettings, replication.Options);
        Assert.Equal("UTC", replication.Timezone);
    }

    [Fact]
    public void The_setup_connection_keeps_the_users_options_and_time_zone()
    {
        var queries = new NpgsqlConnectionStringBuilder(For("Host=db;Database=shop;Options=-c work_mem=64MB;Timezone=Europe/Berlin").ForQueries());

        Assert.Equal("-c work_mem=64MB", queries.Options);
        Assert.Equal("Europe/Berlin", queries.Timezone);
    }

    [Fact]
    public void Several_hosts_without_a_target_reach_the_primary_for_setup_and_replication()
    {
        var connections = For("Host=standby,primary;Database=shop");

        Assert.Equal("primary", new NpgsqlConnectionStringBuilder(connections.ForQueries()).TargetSessionAttributes);
        Assert.Equal("primary", new NpgsqlConnectionStringBuilder(connections.ForReplication()).TargetSessionAttributes);
    }

    [Theory]
    [InlineData("Host=db;Database=shop", null)]
    [InlineData("Host=a,b;Database=shop;Target Session Attributes=prefer-standby", "prefer-standby")]
    public void A_single_host_or_a_given_target_is_left_as_it_is(string connection, string? expected)
        => Assert.Equal(expected, new NpgsqlConnectionStringBuilder(For(connection).ForReplication()).TargetSessionAttributes);

    [Fact]
    public void The_password_file_is_read_at_every_connect_without_its_line_break()
    {
        var file = Path.GetTempFileName();
        try
        {
            var connections = For("Host=db;Database=shop", file);
            File.WriteAllText(file, "token-1\n");
            Assert.Equal("token-1", new NpgsqlConnectionStringBuilder(connections.ForReplication()).Password);

            File.WriteAllText(file, "token-2\r\n");
            Assert.Equal("token-2", new NpgsqlConnectionStringBuilder(connections.ForQueries()).Password);
            Assert.True(connections.RotatesPassword);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_password_file_missing_at_connect_is_transient()
    {
        var e = Assert.Throws<ReplicationInterruptedException>(() => For("Host=db;Database=shop", "/nonexistent/cdc-token").ForQueries());

        Assert.True(e.IsTransient);
    }

    [Theory]
    [InlineData(PostgresErrorCodes.InvalidPassword)]
    [InlineData(PostgresErrorCodes.InvalidAuthorizationSpecification)]
    public void A_refused_login_is_fatal_without_a_password_file_and_transient_with_one(string sqlState)
    {
        var refused = new PostgresException("password authentication failed", "FATAL", "FATAL", sqlState);

        Assert.False(SourceSetup.Classify(refused, For("Host=db;Database=shop")).IsTransient);
        Assert.True(SourceSetup.Classify(refused, For("Host=db;Database=shop", "/run/secrets/token")).IsTransient);
    }

    [Fact]
    public void Network_trouble_is_transient_and_a_refusal_by_Npgsql_itself_is_fatal()
    {
        var connections = For("Host=db;Database=shop");

        Assert.True(SourceSetup.Classify(new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException(111)), connections).IsTransient);
        Assert.False(SourceSetup.Classify(new NpgsqlException("the server asked for a method Require Auth forbids"), connections).IsTransient);
    }
}
