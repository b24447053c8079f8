using Cdc.Testing;
using Cdc.V1;

namespace Cdc.Decoding.ValueTests;

/// <summary>Unchanged TOASTed values from a real server: marked unchanged, never null; filled with REPLICA IDENTITY FULL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ToastIntegrationTests(PostgresFixture postgres)
{
    // ~12.8 kB of hex digits: compresses to well over the 2 kB TOAST threshold, so it is stored out of line.
    private const string LargeValue = "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 400) i)";

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Unchanged_toast_is_marked_unchanged_or_filled_from_the_full_old_row(bool binary, bool replicaIdentityFull)
    {
        var server = postgres.Server;
        var database = await server.CreateDatabaseAsync($"toast_{(binary ? "b" : "t")}_{(replicaIdentityFull ? "full" : "default")}");
        await server.ExecuteAsync(
            "CREATE TABLE docs (id int PRIMARY KEY, body text, tags text[], counter int);" +
            (replicaIdentityFull ? "ALTER TABLE docs REPLICA IDENTITY FULL;" : string.Empty) +
            "CREATE PUBLICATION docs_pub FOR TABLE docs;" +
            $"INSERT INTO docs VALUES (1, {LargeValue}, ARRAY(SELECT md5(i::text) FROM generate_series(1, 400) i), 0);", database);
        await server.ExecuteAsync("SELECT pg_create_logical_replication_slot('docs_slot', 'pgoutput')", database);
        await server.ExecuteAsync("SET synchronous_commit = on; UPDATE docs SET counter = counter + 1 WHERE id = 1; UPDATE docs SET body = NULL, counter = 2 WHERE id = 1;", database);
        var expectedBody = await server.ScalarAsync<string>($"SELECT {LargeValue}", database);
        try
        {
            var resolver = await CatalogTypeResolver.LoadAsync(server.ConnectionString(database));
            var events = await SlotCapture.PeekAsync(server.ConnectionString(database), "docs_slot", "docs_pub", binary, resolver);
            Assert.Equal(2, events.Count);

            var first = events[0].NewRow;
            Assert.Equal(1, first[3].Value.Int);
            if (replicaIdentityFull)
            {
                Assert.Equal(expectedBody, first[1].Value.Text);
                Assert.Equal(400, first[2].Value.Array.Elements.Count);
                Assert.True(events[0].OldRowFull);
            }
            else
            {
                Assert.Equal(Value.KindOneofCase.UnchangedToast, first[1].Value.KindCase);
                Assert.Equal(Value.KindOneofCase.UnchangedToast, first[2].Value.KindCase);
            }

            // Setting the TOASTed column to NULL is a real NULL, not "unchanged".
            var second = events[1].NewRow;
            Assert.Equal(Value.KindOneofCase.Null, second[1].Value.KindCase);
            Assert.Equal(2, second[3].Value.Int);
        }
        finally
        {
            await server.ExecuteAsync("SELECT pg_drop_replication_slot('docs_slot')", database);
        }
    }
}
