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
        await using var client = new Cdc.Sink.Nats.NatsConnection(new Cdc.Sink.Nats.NatsOptions { Urls = [nats.Url] });
        await client.ConnectAsync();
        Assert.Equal(Cdc.Sink.Nats.NatsConnectionState.Connected, client.State);
        Assert.Contains("Server is ready", nats.ReadLog(), StringComparison.Ordinal);
    }
}
