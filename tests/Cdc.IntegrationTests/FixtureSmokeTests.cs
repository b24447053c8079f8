using Cdc.Testing;

namespace Cdc.IntegrationTests;

public sealed class FixtureSmokeTests
{
    [Fact]
    public async Task Postgres_starts_with_logical_wal_level()
    {
        await using var pg = await PostgresServer.StartAsync();
        Assert.Equal("logical", await pg.ScalarAsync<string>("SHOW wal_level"));
        await pg.RestartAsync();
        Assert.Equal(1, await pg.ScalarAsync<int>("SELECT 1"));
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
