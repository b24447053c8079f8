using Cdc.Decoding.Tests.Support;

namespace Cdc.Decoding.Tests.Integration;

/// <summary>
/// pgoutput protocol version 4 (PostgreSQL 16+) from a real PostgreSQL 17: large transactions streamed while in
/// progress, with <c>streaming = parallel</c> (a stream abort carries the abort LSN and time) and <c>on</c> (it does not).
/// </summary>
[Trait("Category", "Integration")]
public sealed class LiveCaptureProtocol4Tests(Postgres17Fixture fixture) : IClassFixture<Postgres17Fixture>
{
    [Theory]
    [InlineData("parallel", 1 + 4 + 4 + 8 + 8)]
    [InlineData("on", 1 + 4 + 4)]
    public async Task Protocol4_streams_deliver_a_committed_transaction_once_and_drop_an_aborted_one(string streaming, int abortMessageBytes)
    {
        var server = fixture.Server;
        var db = await server.CreateDatabaseAsync("cap_v4_" + streaming);
        await server.ExecuteAsync("""
            CREATE TABLE big (id int PRIMARY KEY, payload text);
            CREATE TABLE small (id int PRIMARY KEY);
            CREATE PUBLICATION pub FOR ALL TABLES;
            """, db);
        await PgOutputCapture.CreateSlotAsync(server, db, "v4_" + streaming);

        await server.ExecuteAsync("INSERT INTO big SELECT i, repeat('p', 100) FROM generate_series(1, 1500) i", db);
        await server.ExecuteAsync("BEGIN; INSERT INTO big SELECT i, 'gone' FROM generate_series(300001, 301500) i; ROLLBACK", db);
        await server.ExecuteAsync("INSERT INTO small VALUES (1)", db);

        var captured = await PgOutputCapture.PeekAsync(server, db, "v4_" + streaming, "proto_version", "4", "publication_names", "pub", "streaming", streaming);
        Assert.Contains(captured, m => m.Type == 'S');
        var abort = Assert.Single(captured, m => m.Type == 'A');
        Assert.Equal(abortMessageBytes, abort.Data.Length);

        using var pipeline = new Pipeline(new PgOutputOptions { ProtocolVersion = 4, Streaming = true });
        pipeline.FeedAll(captured);
        var changes = pipeline.Handler.Changes;

        Assert.Equal(2, pipeline.Transactions.Count);
        var big = changes.Where(c => c.Table == "public.big").ToList();
        Assert.Equal(1500, big.Count);
        Assert.DoesNotContain(big, c => c.NewRow![1] == "t:gone");
        Assert.Equal("public.small", changes[^1].Table);
    }
}
