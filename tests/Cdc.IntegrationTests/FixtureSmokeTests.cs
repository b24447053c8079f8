using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests;

public sealed class FixtureSmokeTests
{
    [Theory]
    [InlineData(PostgresVersion.V15)]
    [InlineData(PostgresVersion.V17)]
    public async Task Postgres_starts_with_logical_wal_level_and_comes_back_on_the_same_port_after_a_crash_and_a_restart(PostgresVersion version)
    {
        await using var pg = await PostgresServer.StartAsync(version: version);
        Assert.Equal("logical", await pg.ScalarAsync<string>("SHOW wal_level"));
        Assert.Equal((int)version, await pg.ScalarAsync<int>("SELECT current_setting('server_version_num')::int / 10000"));
        // Committed synchronously: the server runs with synchronous_commit off, and a crash loses what the WAL writer had not written.
        await pg.ExecuteAsync("SET synchronous_commit = on; CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)");

        await pg.CrashAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => pg.ScalarAsync<int>("SELECT 1"));
        await pg.StartExistingAsync();
        await pg.RestartAsync();

        Assert.Equal(1L, await pg.ScalarAsync<long>("SELECT count(*) FROM kept"));
        Assert.Contains("database system is ready to accept connections", pg.ReadLogTail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nats_starts_and_restarts_on_the_same_port()
    {
        await using var nats = await NatsServer.StartAsync();
        await nats.RestartAsync();
        await using var client = new NATS.Client.Core.NatsConnection(NATS.Client.Core.NatsOpts.Default with { Url = nats.Url });
        await client.ConnectAsync();
        Assert.Equal(NATS.Client.Core.NatsConnectionState.Open, client.ConnectionState);
        Assert.Contains("Server is ready", nats.ReadLog(), StringComparison.Ordinal);
    }
}
