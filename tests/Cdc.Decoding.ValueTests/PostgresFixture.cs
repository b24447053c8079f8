using Cdc.Testing;

namespace Cdc.Decoding.ValueTests;

/// <summary>One throwaway PostgreSQL 15 for the integration tests of this assembly; each test class uses its own database.</summary>
public class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("PostgreSQL is not started");

    protected virtual PostgresVersion Version => PostgresVersion.V15;

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync(version: Version);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

/// <summary>One throwaway PostgreSQL 17 for the tests that run on both versions.</summary>
public sealed class Postgres17Fixture : PostgresFixture
{
    protected override PostgresVersion Version => PostgresVersion.V17;
}

[CollectionDefinition(Name)]
public sealed class Postgres17Collection : ICollectionFixture<Postgres17Fixture>
{
    public const string Name = "postgres 17";
}
