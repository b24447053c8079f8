using Cdc.Decoding.Tests.Support;
using static Cdc.Decoding.Tests.Support.PgOutputBuilder;

namespace Cdc.Decoding.Tests;

public sealed class ChangeDecoderTests
{
    private const uint Rel = 16400;

    [Fact]
    public void A_new_relation_message_replaces_the_cached_relation()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        Transaction(pipeline, 1, Relation(Rel, "public", "items", 'd', ("id", 23, -1, true)), Insert(null, Rel, "1"));
        Transaction(pipeline, 2, Relation(Rel, "public", "items", 'd', ("id", 23, -1, true), ("added", 25, -1, false)), Insert(null, Rel, "2", "new column"));

        Assert.Equal(["t:2", "t:new column"], pipeline.Handler.Changes[1].NewRow!);
        Assert.True(pipeline.Decoder.TryGetRelation(Rel, out var relation));
        Assert.Equal(["id", "added"], relation.Columns.Select(c => c.Name));
        Assert.Equal(2, pipeline.Handler.Relations.Count);
    }

    [Fact]
    public void A_change_for_an_unknown_relation_is_a_clear_protocol_error()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        var error = Assert.Throws<PgOutputException>(() => Transaction(pipeline, 1, Insert(null, 999, "1")));
        Assert.Contains("relation 999", error.Message, StringComparison.Ordinal);
        Assert.Equal((byte)'I', error.MessageType);
    }

    [Fact]
    public void A_tuple_whose_column_count_differs_from_the_relation_is_a_protocol_error()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        Assert.Throws<PgOutputException>(() => Transaction(pipeline, 1, Relation(Rel, "public", "items", 'd', ("id", 23, -1, true)), Insert(null, Rel, "1", "extra")));
    }

    [Fact]
    public void Unchanged_toast_stays_marked_unchanged_without_a_full_old_row()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        Transaction(pipeline, 1, Relation(Rel, "public", "docs", 'd', ("id", 23, -1, true), ("body", 25, -1, false)), Update(null, Rel, null, null, "1", "~"));
        Assert.Equal(TupleValueKindNames.Unchanged, pipeline.Handler.Changes[0].NewRow![1]);
    }

    [Fact]
    public void Replica_identity_full_fills_unchanged_toast_from_the_old_row()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        Transaction(pipeline, 1, Relation(Rel, "public", "docs", 'f', ("id", 23, -1, false), ("body", 25, -1, false), ("n", 23, -1, false)),
            Update(null, Rel, 'O', ["1", "long body", "1"], "1", "~", "2"));
        var change = pipeline.Handler.Changes[0];
        Assert.Equal(["t:1", "t:long body", "t:2"], change.NewRow!);
        Assert.True(change.OldRowIsFull);
    }

    [Fact]
    public void Truncate_gives_one_change_per_table_with_its_options()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        Transaction(pipeline, 1,
            Relation(1, "public", "a", 'd', ("id", 23, -1, true)),
            Relation(2, "sales", "b", 'd', ("id", 23, -1, true)),
            Truncate(null, 1, 1, 2));
        Assert.Equal(["public.a", "sales.b"], pipeline.Handler.Changes.Select(c => c.Table!));
        Assert.All(pipeline.Handler.Changes, c => Assert.Equal(TruncateOptions.Cascade, c.TruncateOptions));
        Assert.Equal([false, true], pipeline.Handler.Changes.Select(c => c.IsLast));
    }

    [Fact]
    public void Index_counts_changes_from_zero_and_only_the_last_is_marked_last()
    {
        using var pipeline = new Pipeline(new PgOutputOptions { Messages = true });
        Transaction(pipeline, 1,
            Relation(Rel, "public", "items", 'd', ("id", 23, -1, true)),
            Insert(null, Rel, "1"),
            LogicalMessage(null, true, 5, "outbox", "x"),
            Update(null, Rel, null, null, "1"),
            Delete(null, Rel, 'K', "1"));
        Assert.Equal([0, 1, 2, 3], pipeline.Handler.Changes.Select(c => c.Index));
        Assert.Equal([false, false, false, true], pipeline.Handler.Changes.Select(c => c.IsLast));
    }

    [Fact]
    public void Column_type_names_come_from_built_ins_type_messages_and_the_resolver()
    {
        var resolver = new FakeResolver(new PgTypeInfo(16600, "public", "address", PgTypeKind.Composite)
        {
            Fields = [new PgCompositeField("street", 25, -1)],
        });
        using var pipeline = new Pipeline(new PgOutputOptions(), resolver);
        Transaction(pipeline, 1,
            Type(null, 16500, "public", "mood"),
            Relation(Rel, "public", "people", 'd', ("id", 20, -1, true), ("m", 16500, -1, false), ("home", 16600, -1, false), ("odd", 16700, -1, false), ("at", 1184, -1, false)),
            Insert(null, Rel, "1", "happy", "(main)", "?", null));

        var columns = pipeline.Handler.Relations.Single().Columns;
        Assert.Equal(["int8", "mood", "address", "oid:16700", "timestamptz"], columns.Select(c => c.TypeName));
        Assert.Equal(PgTypeKind.Composite, columns[2].CustomType!.Kind);
        Assert.Null(columns[0].CustomType);
        Assert.Equal([16500u, 16600u, 16700u], resolver.Asked);
    }

    [Fact]
    public void Reset_forgets_relations_of_the_previous_session()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        Transaction(pipeline, 1, Relation(Rel, "public", "items", 'd', ("id", 23, -1, true)), Insert(null, Rel, "1"));
        pipeline.Decoder.Reset();
        Assert.Throws<PgOutputException>(() => Transaction(pipeline, 2, Insert(null, Rel, "2")));
    }

    [Fact]
    public void Steady_state_decoding_allocates_almost_nothing_per_row()
    {
        var options = new PgOutputOptions();
        var decoder = new ChangeDecoder(options);
        var handler = new CountingHandler();
        var insert = Insert(null, Rel, "12345", "some text value", null, "2024-01-01 00:00:00+00");
        const int rows = 20_000;

        CommittedTransaction Build()
        {
            var assembler = new TransactionAssembler(options);
            assembler.Append(Begin(1, 0, 1), 0, 0);
            assembler.Append(Relation(Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false), ("gone", 25, -1, false), ("at", 1184, -1, false)), 0, 0);
            for (var i = 0; i < rows; i++)
            {
                assembler.Append(insert, 0, 0);
            }

            return assembler.Append(Commit(1, 2, 0), 0, 0)!;
        }

        using (var warm = Build())
        {
            decoder.Decode(warm, handler);
        }

        using var tx = Build();
        var before = GC.GetAllocatedBytesForCurrentThread();
        decoder.Decode(tx, handler);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2 * rows, handler.Count);
        Assert.True(allocated < rows, $"{allocated} bytes allocated decoding {rows} rows");
    }

    private static void Transaction(Pipeline pipeline, uint xid, params byte[][] messages)
    {
        var lsn = 0x1000UL * xid;
        pipeline.Feed(Begin(lsn, 0, xid));
        foreach (var m in messages)
        {
            pipeline.Feed(m);
        }

        pipeline.Feed(Commit(lsn, lsn + 0x28, 0));
    }

    private static class TupleValueKindNames
    {
        public const string Unchanged = "u";
    }

    private sealed class FakeResolver(params PgTypeInfo[] types) : ITypeResolver
    {
        public List<uint> Asked { get; } = [];

        public PgTypeInfo? Resolve(uint typeOid)
        {
            Asked.Add(typeOid);
            return types.FirstOrDefault(t => t.Oid == typeOid);
        }
    }

    private sealed class CountingHandler : IChangeHandler
    {
        public int Count { get; private set; }

        public void OnChange(ChangeItem change)
        {
            if (change.NewRow!.GetRaw(1).Length > 0)
            {
                Count++;
            }
        }

        public void OnRelation(RelationInfo relation) => Count += 0;
    }
}
