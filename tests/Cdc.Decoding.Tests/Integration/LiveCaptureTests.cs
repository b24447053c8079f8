using Cdc.Decoding.Tests.Support;
using Npgsql;

namespace Cdc.Decoding.Tests.Integration;

/// <summary>
/// Real pgoutput bytes from PostgreSQL 15, captured with pg_logical_slot_peek_binary_changes and decoded.
/// With CDC_WRITE_CAPTURES=&lt;path of tests/Cdc.Decoding.Tests/Captured&gt; the captures are saved for the unit tests.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LiveCaptureTests : IClassFixture<PostgresFixture>
{
    private readonly PostgresFixture _fixture;

    public LiveCaptureTests(PostgresFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Protocol1_text_rows_decode_inserts_updates_deletes_truncates_and_custom_types()
    {
        var server = _fixture.Server;
        var db = await server.CreateDatabaseAsync("cap_v1");
        await server.ExecuteAsync("""
            CREATE TYPE mood AS ENUM ('sad', 'happy');
            CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), tags text[], m mood, big text);
            ALTER TABLE items ALTER COLUMN big SET STORAGE EXTERNAL;
            CREATE TABLE full_rows (id int PRIMARY KEY, big text, note text);
            ALTER TABLE full_rows ALTER COLUMN big SET STORAGE EXTERNAL;
            ALTER TABLE full_rows REPLICA IDENTITY FULL;
            CREATE PUBLICATION pub FOR ALL TABLES;
            """, db);
        await PgOutputCapture.CreateSlotAsync(server, db, "s1");
        foreach (var sql in new[]
        {
            "INSERT INTO items VALUES (1, 'apple', 1.50, '{a,b}', 'happy', repeat('x', 5000)), (2, 'pear', NULL, NULL, 'sad', NULL)",
            "UPDATE items SET name = 'green apple' WHERE id = 1",
            "UPDATE items SET id = 10 WHERE id = 2",
            "DELETE FROM items WHERE id = 10",
            "INSERT INTO full_rows VALUES (1, repeat('y', 5000), 'a')",
            "UPDATE full_rows SET note = 'b'",
            "BEGIN; INSERT INTO items VALUES (3, 'plum', 2, '{}', 'sad', 'small'); INSERT INTO items VALUES (4, 'fig', 3, '{c}', NULL, NULL); COMMIT",
            "TRUNCATE items",
            "DELETE FROM full_rows",
        })
        {
            await server.ExecuteAsync(sql, db);
        }

        var captured = await PgOutputCapture.PeekAsync(server, db, "s1", "proto_version", "1", "publication_names", "pub");
        PgOutputCapture.SaveIfRequested("v1-text.txt", "PostgreSQL 15, proto_version 1, text: items (enum, array, TOAST), full_rows (REPLICA IDENTITY FULL)", captured);

        using var pipeline = new Pipeline(new PgOutputOptions { ProtocolVersion = 1 });
        pipeline.FeedAll(captured);
        var changes = pipeline.Handler.Changes;

        Assert.Equal(9, pipeline.Transactions.Count);
        Assert.Equal(
            [ChangeKind.Insert, ChangeKind.Insert, ChangeKind.Update, ChangeKind.Update, ChangeKind.Delete, ChangeKind.Insert,
             ChangeKind.Update, ChangeKind.Insert, ChangeKind.Insert, ChangeKind.Truncate, ChangeKind.Delete],
            changes.Select(c => c.Kind));

        var insert = changes[0];
        Assert.Equal("public.items", insert.Table);
        Assert.Equal(["t:1", "t:apple", "t:1.50", "t:{a,b}", "t:happy", "t:" + new string('x', 5000)], insert.NewRow!);
        Assert.True(changes[0].Index == 0 && !changes[0].IsLast && changes[1].Index == 1 && changes[1].IsLast);

        // The TOASTed column did not change: marked unchanged, never null.
        Assert.Equal(["t:1", "t:green apple", "t:1.50", "t:{a,b}", "t:happy", "u"], changes[2].NewRow!);
        Assert.Null(changes[2].OldRow!);

        // A key change sends the old key.
        Assert.Equal(["t:2", "n", "n", "n", "n", "n"], changes[3].OldRow!);
        Assert.False(changes[3].OldRowIsFull);
        Assert.Equal(["t:10", "n", "n", "n", "n", "n"], changes[4].OldRow!);

        // REPLICA IDENTITY FULL: the unchanged TOAST value is filled from the old row.
        var full = changes[6];
        Assert.True(full.OldRowIsFull);
        Assert.Equal(["t:1", "t:" + new string('y', 5000), "t:b"], full.NewRow!);
        Assert.Equal(["t:1", "t:" + new string('y', 5000), "t:a"], full.OldRow!);

        Assert.Equal("public.items", changes[9].Table);
        Assert.Equal(["t:1", "t:" + new string('y', 5000), "t:b"], changes[10].OldRow!);

        var items = pipeline.Handler.Relations.First(r => r.Name == "items");
        Assert.Equal(["id"], items.KeyColumnNames);
        Assert.Equal(["int4", "text", "numeric", "_text", "mood", "text"], items.Columns.Select(c => c.TypeName));
        Assert.Equal(ReplicaIdentity.Full, pipeline.Handler.Relations.First(r => r.Name == "full_rows").ReplicaIdentity);
    }

    [Fact]
    public async Task Protocol2_binary_with_messages_decodes_binary_values_and_both_kinds_of_logical_message()
    {
        var server = _fixture.Server;
        var db = await server.CreateDatabaseAsync("cap_v2_binary");
        await server.ExecuteAsync("""
            CREATE TABLE t (id bigint PRIMARY KEY, flag bool, amount float8, note text, at timestamptz, u uuid);
            CREATE PUBLICATION pub FOR ALL TABLES;
            """, db);
        await PgOutputCapture.CreateSlotAsync(server, db, "s2");
        await server.ExecuteAsync("BEGIN; INSERT INTO t VALUES (7, true, 2.5, 'seven', '2024-01-02 03:04:05+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'); SELECT pg_logical_emit_message(true, 'outbox', 'in-tx'); COMMIT", db);
        await server.ExecuteAsync("SELECT pg_logical_emit_message(false, 'audit', 'outside')", db);
        await server.ExecuteAsync("UPDATE t SET note = NULL WHERE id = 7", db);

        var captured = await PgOutputCapture.PeekAsync(server, db, "s2", "proto_version", "2", "publication_names", "pub", "binary", "true", "messages", "true");
        PgOutputCapture.SaveIfRequested("v2-binary-messages.txt", "PostgreSQL 15, proto_version 2, binary, messages", captured);

        using var pipeline = new Pipeline(new PgOutputOptions { ProtocolVersion = 2, Binary = true, Messages = true });
        pipeline.FeedAll(captured);
        var changes = pipeline.Handler.Changes;

        Assert.Equal([ChangeKind.Insert, ChangeKind.Message, ChangeKind.Message, ChangeKind.Update], changes.Select(c => c.Kind));
        Assert.Equal(["b:0000000000000007", "b:01", "b:4004000000000000", "b:" + Convert.ToHexString("seven"u8), "b:0002B0EC8515F340", "b:A0EEBC999C0B4EF8BB6D6BB9BD380A11"], changes[0].NewRow!);
        Assert.Equal(("outbox", "in-tx", true, 1, true), (changes[1].MessagePrefix, changes[1].MessageContent, changes[1].MessageTransactional, changes[1].Index, changes[1].IsLast));
        Assert.Equal(("audit", "outside", false, 0, true, 0u), (changes[2].MessagePrefix, changes[2].MessageContent, changes[2].MessageTransactional, changes[2].Index, changes[2].IsLast, changes[2].Xid));
        Assert.Equal("n", changes[3].NewRow![3]);
        Assert.True(changes[1].EndLsn < changes[2].EndLsn && changes[2].EndLsn < changes[3].EndLsn);
    }

    [Fact]
    public async Task Protocol2_streaming_interleaves_transactions_and_honours_subtransaction_and_whole_aborts()
    {
        var server = _fixture.Server;
        var db = await server.CreateDatabaseAsync("cap_v2_stream");
        await server.ExecuteAsync("""
            CREATE TABLE big (id int PRIMARY KEY, payload text);
            CREATE TABLE small (id int PRIMARY KEY);
            CREATE PUBLICATION pub FOR ALL TABLES;
            """, db);
        await PgOutputCapture.CreateSlotAsync(server, db, "s3");

        await using (var session1 = new NpgsqlConnection(server.ConnectionString(db)))
        {
            await session1.OpenAsync();
            await Exec(session1, "BEGIN; INSERT INTO big SELECT i, repeat('p', 100) FROM generate_series(1, 1500) i");
            await Exec(session1, "SAVEPOINT s1; INSERT INTO big SELECT i, repeat('q', 100) FROM generate_series(100001, 100500) i; ROLLBACK TO SAVEPOINT s1");
            await server.ExecuteAsync("INSERT INTO small VALUES (1)", db);
            await Exec(session1, "INSERT INTO big SELECT i, repeat('r', 100) FROM generate_series(200001, 200200) i; COMMIT");
        }

        await server.ExecuteAsync("BEGIN; INSERT INTO big SELECT i, 'gone' FROM generate_series(300001, 301500) i; ROLLBACK", db);
        await server.ExecuteAsync("INSERT INTO small VALUES (2)", db);

        var captured = await PgOutputCapture.PeekAsync(server, db, "s3", "proto_version", "2", "publication_names", "pub", "streaming", "on");
        PgOutputCapture.SaveIfRequested("v2-streaming.txt", "PostgreSQL 15, proto_version 2, streaming on, logical_decoding_work_mem 64kB: subtransaction rollback, interleaved commit, aborted stream", captured);
        Assert.Contains(captured, m => m.Type == 'S');
        Assert.Contains(captured, m => m.Type == 'A');

        using var pipeline = new Pipeline(new PgOutputOptions { ProtocolVersion = 2, Streaming = true });
        pipeline.FeedAll(captured);
        var changes = pipeline.Handler.Changes;

        Assert.Equal(3, pipeline.Transactions.Count);
        // The small transaction committed while the big one was streaming: it is delivered first.
        Assert.Equal(["public.small", "public.big", "public.small"], new[] { changes[0].Table!, changes[1].Table!, changes[^1].Table! });
        var big = changes.Where(c => c.Table == "public.big").ToList();
        Assert.Equal(1700, big.Count);
        Assert.DoesNotContain(big, c => c.NewRow![1].StartsWith("t:q", StringComparison.Ordinal) || c.NewRow[1] == "t:gone");
        Assert.Equal(Enumerable.Range(0, 1700), big.Select(c => c.Index));
        Assert.True(big[^1].IsLast);
        Assert.Equal(1, big.Count(c => c.IsLast));
    }

    [Fact]
    public async Task Protocol3_two_phase_delivers_on_commit_prepared_and_drops_on_rollback_prepared()
    {
        var server = _fixture.Server;
        var db = await server.CreateDatabaseAsync("cap_v3_2pc");
        await server.ExecuteAsync("""
            CREATE TABLE t (id int PRIMARY KEY, v text);
            CREATE PUBLICATION pub FOR ALL TABLES;
            """, db);
        await PgOutputCapture.CreateSlotAsync(server, db, "s4", twoPhase: true);
        await server.ExecuteAsync("BEGIN; INSERT INTO t VALUES (1, 'kept'), (2, 'kept'); PREPARE TRANSACTION 'g1'", db);
        await server.ExecuteAsync("INSERT INTO t VALUES (3, 'between')", db);
        await server.ExecuteAsync("COMMIT PREPARED 'g1'", db);
        await server.ExecuteAsync("BEGIN; INSERT INTO t VALUES (4, 'rolled back'); PREPARE TRANSACTION 'g2'", db);
        await server.ExecuteAsync("ROLLBACK PREPARED 'g2'", db);

        var captured = await PgOutputCapture.PeekAsync(server, db, "s4", "proto_version", "3", "publication_names", "pub", "two_phase", "on");
        PgOutputCapture.SaveIfRequested("v3-two-phase.txt", "PostgreSQL 15, proto_version 3, two_phase on: COMMIT PREPARED g1, ROLLBACK PREPARED g2", captured);
        Assert.Contains(captured, m => m.Type == 'b');
        Assert.Contains(captured, m => m.Type == 'K');
        Assert.Contains(captured, m => m.Type == 'r');

        using var pipeline = new Pipeline(new PgOutputOptions { ProtocolVersion = 3, TwoPhase = true });
        pipeline.FeedAll(captured);
        var changes = pipeline.Handler.Changes;

        Assert.Equal(["t:3", "t:1", "t:2"], changes.Select(c => c.NewRow![0]));
        Assert.Equal([null, "g1", "g1"], changes.Select(c => c.Gid));
        Assert.Equal(0, pipeline.Assembler.OpenTransactionCount);
    }

    private static async Task Exec(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
