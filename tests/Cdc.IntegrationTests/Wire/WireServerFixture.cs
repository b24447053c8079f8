using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Wire;

/// <summary>
/// One PostgreSQL 15 without TLS for the wire tests that need no special server settings, with a login role per
/// pg_hba method (each role's password is its name with "_pw").
/// </summary>
public sealed class WireServerFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await PostgresServer.StartAsync();
        await Server.ExecuteAsync("""
            SET password_encryption = 'scram-sha-256';
            CREATE ROLE scram_user LOGIN REPLICATION PASSWORD 'scram_user_pw';
            CREATE ROLE clear_user LOGIN REPLICATION PASSWORD 'clear_user_pw';
            CREATE ROLE trust_user LOGIN REPLICATION;
            SET password_encryption = 'md5';
            CREATE ROLE md5_user LOGIN REPLICATION PASSWORD 'md5_user_pw';
            """);
        await Server.WriteHbaAsync(
            "host all scram_user 127.0.0.1/32 scram-sha-256",
            "host all md5_user 127.0.0.1/32 md5",
            "host all clear_user 127.0.0.1/32 password",
            "host all trust_user 127.0.0.1/32 trust");
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A connection string to 127.0.0.1 as <paramref name="user"/>; Application Name tells the walsender apart.</summary>
    public string ConnectionString(string user, string? password = null, string? applicationName = null)
        => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Server.Port,
            Username = user,
            Password = password,
            Database = "postgres",
            SslMode = SslMode.Disable,
            ApplicationName = applicationName ?? user,
            Timeout = 15,
            Passfile = "/nonexistent/pgpass",
        }.ConnectionString;
}

/// <summary>The wire tests on <see cref="WireServerFixture"/> share its server and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class WireServerCollection : ICollectionFixture<WireServerFixture>
{
    public const string Name = "Wire server";
}
