using Cdc.Testing;

namespace Cdc.IntegrationTests.Snapshot;

/// <summary>
/// PostgreSQL of one version and a nats-server, with a database holding the tables the snapshot and backfill tests
/// read under <see cref="SnapshotWriter"/>: <c>items</c> (keyed) and <c>nokey</c> (no key, read by ctid), both versioned
/// by the sequence <c>ver</c>.
/// </summary>
public abstract class ItemsServers(PostgresVersion version, string database) : IAsyncLifetime
{
    private const string Schema = """
        CREATE SEQUENCE ver;
        CREATE TABLE items (id int PRIMARY KEY, v bigint NOT NULL, note text);
        CREATE TABLE nokey (v bigint NOT NULL, note text);
        """;

    protected const string ItemsProjection = "id::text, v::text, note";
    protected const string NokeyProjection = "v::text, note";

    protected PostgresServer Pg { get; private set; } = null!;

    protected NatsServer Nats { get; private set; } = null!;

    protected string Database => database;

    protected string Connection => Pg.ConnectionString(database);

    public virtual async Task InitializeAsync()
    {
        Pg = await PostgresServer.StartAsync(version: version);
        Nats = await NatsServer.StartAsync();
        await Pg.CreateDatabaseAsync(database);
        await Pg.ExecuteAsync(Schema, database);
    }

    public async Task DisposeAsync()
    {
        await Nats.DisposeAsync();
        await Pg.DisposeAsync();
    }

    /// <summary>Rows 1..<paramref name="items"/> of items and <paramref name="nokey"/> rows of nokey, then ANALYZE (row estimates).</summary>
    protected Task FillAsync(int items, int nokey) => Pg.ExecuteAsync(
        $"""
        INSERT INTO items SELECT g, nextval('ver'), 'row ' || g FROM generate_series(1, {items}) g;
        INSERT INTO nokey SELECT nextval('ver'), 'k ' || g FROM generate_series(1, {nokey}) g;
        ANALYZE items; ANALYZE nokey;
        """, database);
}
