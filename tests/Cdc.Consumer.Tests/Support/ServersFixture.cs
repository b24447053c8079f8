using Cdc.Testing;

namespace Cdc.Consumer.Tests.Support;

/// <summary>One nats-server (JetStream) and one PostgreSQL for the whole test collection; tests use their own stream and database.</summary>
public sealed class ServersFixture : IAsyncLifetime
{
    public NatsServer Nats { get; private set; } = null!;

    public PostgresServer Postgres { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var nats = NatsServer.StartAsync();
        var postgres = PostgresServer.StartAsync();
        Nats = await nats;
        Postgres = await postgres;
    }

    public async Task DisposeAsync()
    {
        if (Nats is not null)
        {
            await Nats.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<ServersFixture>
{
    public const string Name = "servers";
}
