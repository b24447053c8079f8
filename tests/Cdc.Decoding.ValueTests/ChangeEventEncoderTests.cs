using System.Buffers;
using Cdc.Decoding.Tests.Support;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Decoding.ValueTests;

public sealed class ChangeEventEncoderTests
{
    private const uint Relid = 16400;

    private static readonly (string, uint, int, bool)[] _columns = [("id", 23, -1, true), ("body", 25, -1, false), ("note", 25, -1, false)];

    [Fact]
    public void Unchanged_toast_is_marked_unchanged_and_null_is_null()
    {
        var events = Decode('d', PgOutputBuilder.Update(null, Relid, null, null, "1", "~", null));
        var row = events[0].NewRow;
        Assert.Equal(Operation.Update, events[0].Operation);
        Assert.Equal(1, row[0].Value.Int);
        Assert.True(row[1].Value.UnchangedToast);
        Assert.Equal(Value.KindOneofCase.UnchangedToast, row[1].Value.KindCase);
        Assert.Equal(Value.KindOneofCase.Null, row[2].Value.KindCase);
        Assert.Empty(events[0].OldRow);
    }

    [Fact]
    public void With_replica_identity_full_unchanged_toast_is_filled_from_the_old_row()
    {
        var events = Decode('f', PgOutputBuilder.Update(null, Relid, 'O', ["1", "a large body", "old note"], "1", "~", "new note"));
        var changeEvent = events[0];
        Assert.Equal("a large body", changeEvent.NewRow[1].Value.Text);
        Assert.Equal("new note", changeEvent.NewRow[2].Value.Text);
        Assert.True(changeEvent.OldRowFull);
        Assert.Equal(["id", "body", "note"], changeEvent.OldRow.Select(c => c.Name));
        Assert.Equal("old note", changeEvent.OldRow[2].Value.Text);
    }

    [Fact]
    public void Delete_by_key_reports_only_the_key_columns()
    {
        var events = Decode('d', PgOutputBuilder.Delete(null, Relid, 'K', "7", null, null));
        var changeEvent = events[0];
        Assert.Equal(Operation.Delete, changeEvent.Operation);
        Assert.False(changeEvent.OldRowFull);
        Assert.Equal(["id"], changeEvent.OldRow.Select(c => c.Name));
        Assert.Equal(7, changeEvent.OldRow[0].Value.Int);
        Assert.Empty(changeEvent.NewRow);
    }

    [Fact]
    public void Event_carries_identity_order_and_column_types()
    {
        var events = Decode('d',
            PgOutputBuilder.Insert(null, Relid, "1", "x", null),
            PgOutputBuilder.Insert(null, Relid, "2", "y", "z"));
        Assert.Equal(2, events.Count);
        var first = events[0];
        Assert.Equal(("db", "public", "items", Relid), (first.Database, first.Schema, first.Table, first.RelationId));
        Assert.Equal((0x100UL, 0x200UL, 77u), (first.CommitLsn, first.EndLsn, first.Xid));
        Assert.Equal((0u, false), (first.Index, first.IsLast));
        Assert.Equal((1u, true), (events[1].Index, events[1].IsLast));
        Assert.Equal(["id"], first.KeyColumns);
        Assert.Equal((23u, "int4", -1), (first.NewRow[0].TypeOid, first.NewRow[0].TypeName, first.NewRow[0].TypeModifier));
    }

    [Fact]
    public void Invalid_utf8_text_is_encoded_the_same_by_both_paths_and_stays_parseable()
    {
        var insert = PgOutputBuilder.Message('I').UInt32(Relid).Char('N').Int16(3)
            .Char('t').Int32(1).Char('1')
            .Char('t').Int32(3).Bytes([0x61, 0xFF, 0x62])
            .Char('n');
        var events = Decode('d', insert);
        // The handler checks that Encode's bytes equal ToEvent's and parse back.
        Assert.Equal("a\uFFFDb", events[0].NewRow[1].Value.Text);
    }

    [Fact]
    public void Truncate_reports_its_options()
    {
        var events = Decode('d', PgOutputBuilder.Truncate(null, 3, Relid));
        Assert.Equal(Operation.Truncate, events[0].Operation);
        Assert.True(events[0].TruncateCascade);
        Assert.True(events[0].TruncateRestartIdentity);
    }

    [Fact]
    public void A_new_relation_message_is_encoded_with_its_new_columns()
    {
        // The encoder caches each relation's column names and types: the second R (same relid) must replace them.
        var handler = new Handler();
        Run(handler, new ChangeDecoder(new PgOutputOptions()),
            PgOutputBuilder.Relation(Relid, "public", "items", 'd', _columns),
            PgOutputBuilder.Insert(null, Relid, "1", "x", "y"),
            PgOutputBuilder.Relation(Relid, "public", "items_v2", 'd', ("key", 20, -1, true), ("title", 25, -1, true), ("done", 16, -1, false), ("body", 25, -1, false)),
            PgOutputBuilder.Insert(null, Relid, "2", "t", "t", "b"),
            PgOutputBuilder.Delete(null, Relid, 'K', "3", "u", null, null));

        var (before, after, delete) = (handler.Events[0], handler.Events[1], handler.Events[2]);
        Assert.Equal(["id", "body", "note"], before.NewRow.Select(c => c.Name));
        Assert.Equal("items_v2", after.Table);
        Assert.Equal(["key", "title"], after.KeyColumns);
        Assert.Equal(["key", "title", "done", "body"], after.NewRow.Select(c => c.Name));
        Assert.Equal([(20u, "int8"), (25u, "text"), (16u, "bool"), (25u, "text")], after.NewRow.Select(c => (c.TypeOid, c.TypeName)));
        Assert.Equal(2, after.NewRow[0].Value.Int);
        Assert.True(after.NewRow[2].Value.Bool);
        Assert.Equal(["key", "title"], delete.OldRow.Select(c => c.Name));
    }

    [Fact]
    public void A_cleared_type_cache_changes_how_custom_columns_are_encoded()
    {
        // A domain over int4 is encoded as an int; after ALTER and ClearTypeCache, as the new base type (text).
        const uint Domain = 50000;
        var resolver = new TextValueTests.FakeResolver(new PgTypeInfo(Domain, "public", "code", PgTypeKind.Domain) { BaseOid = 23 });
        var encoder = new ChangeEventEncoder(resolver);
        var handler = new Handler(encoder);
        var decoder = new ChangeDecoder(new PgOutputOptions());
        var insert = PgOutputBuilder.Insert(null, Relid, "42");
        Run(handler, decoder, PgOutputBuilder.Relation(Relid, "public", "codes", 'd', ("code", Domain, -1, true)), insert);
        Assert.Equal(Value.KindOneofCase.Int, handler.Events[0].NewRow[0].Value.KindCase);

        // Same decoder, no new R: the same RelationInfo instance, only the types changed.
        resolver.Types[0] = resolver.Types[0] with { BaseOid = 25 };
        encoder.ClearTypeCache();
        Run(handler, decoder, insert);
        Assert.Equal(Value.KindOneofCase.Text, handler.Events[1].NewRow[0].Value.KindCase);
    }

    [Theory]
    [InlineData("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "\\xdead00")]
    [InlineData("A0EEBC999C0B4EF8BB6D6BB9BD380A11", "\\xDEAD00")]
    [InlineData("a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11", "\\336\\255\\000")]
    public void Uuid_and_bytea_text_forms_encode_the_same_by_both_paths(string uuid, string bytea)
    {
        var handler = new Handler();
        Run(handler, new ChangeDecoder(new PgOutputOptions()),
            PgOutputBuilder.Relation(Relid, "public", "blobs", 'd', ("u", 2950, -1, true), ("b", 17, -1, false)),
            PgOutputBuilder.Insert(null, Relid, uuid, bytea));

        var row = Assert.Single(handler.Events).NewRow;
        Assert.Equal(Convert.FromHexString("a0eebc999c0b4ef8bb6d6bb9bd380a11"), row[0].Value.Uuid.ToByteArray());
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0x00 }, row[1].Value.Bytes.ToByteArray());
    }

    [Theory]
    [InlineData("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "\\xdead")]
    [InlineData("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "\\xdeaz")]
    [InlineData("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "\\xdea")]
    public void Malformed_uuid_or_bytea_hex_text_is_a_protocol_error(string uuid, string bytea)
    {
        var insert = PgOutputBuilder.Insert(null, Relid, uuid, bytea);
        var relation = PgOutputBuilder.Relation(Relid, "public", "blobs", 'd', ("u", 2950, -1, true), ("b", 17, -1, false));
        var error = Assert.Throws<PgOutputException>(() => Run(new Handler(), new ChangeDecoder(new PgOutputOptions()), relation, insert));
        Assert.Contains(uuid.Length == 36 ? "bytea" : "uuid", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_malformed_value_error_names_the_column_table_and_positions(bool encodeToBytes)
    {
        var insert = PgOutputBuilder.Insert(null, Relid, "12", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1x");
        var relation = PgOutputBuilder.Relation(Relid, "public", "blobs", 'd', ("id", 23, -1, true), ("token", 2950, -1, false));
        var encoder = new ChangeEventEncoder();
        var handler = new CallbackHandler(change =>
        {
            if (encodeToBytes)
            {
                encoder.Encode(change, "db", new ArrayBufferWriter<byte>());
            }
            else
            {
                encoder.ToEvent(change, "db");
            }
        });

        var error = Assert.Throws<PgOutputException>(() => Run(handler, new ChangeDecoder(new PgOutputOptions()), relation, insert));

        Assert.Contains("uuid", error.Message, StringComparison.Ordinal);
        Assert.Contains("column \"token\" of public.blobs", error.Message, StringComparison.Ordinal);
        Assert.Contains("Insert at LSN 0/100", error.Message, StringComparison.Ordinal);
        Assert.Contains("transaction 77 committed at LSN 0/100", error.Message, StringComparison.Ordinal);
        Assert.IsType<PgOutputException>(error.InnerException);
    }

    private static List<ChangeEvent> Decode(char identity, params byte[][] changes)
    {
        var handler = new Handler();
        Run(handler, new ChangeDecoder(new PgOutputOptions()), [PgOutputBuilder.Relation(Relid, "public", "items", identity, _columns), .. changes]);
        return handler.Events;
    }

    /// <summary>Decodes one transaction of <paramref name="messages"/> (between its Begin and Commit) into <paramref name="handler"/>.</summary>
    private static void Run(IChangeHandler handler, ChangeDecoder decoder, params byte[][] messages)
    {
        using var assembler = new TransactionAssembler(new PgOutputOptions());
        foreach (var message in (byte[][])[PgOutputBuilder.Begin(0x100, 1000, 77), .. messages, PgOutputBuilder.Commit(0x100, 0x200, 1000)])
        {
            using var transaction = assembler.Append(new ReadOnlySequence<byte>(message), 0x100, 0x100);
            if (transaction is not null)
            {
                decoder.Decode(transaction, handler);
            }
        }
    }

    private sealed class Handler(ChangeEventEncoder? encoder = null) : IChangeHandler
    {
        private readonly ChangeEventEncoder _encoder = encoder ?? new();
        private readonly ArrayBufferWriter<byte> _buffer = new();

        public List<ChangeEvent> Events { get; } = [];

        public void OnChange(ChangeItem change)
        {
            var expected = _encoder.ToEvent(change, "db");
            _buffer.ResetWrittenCount();
            // Something already in the buffer must be left alone.
            _buffer.Write<byte>([0xAA]);
            var written = _encoder.Encode(change, "db", _buffer);
            Assert.Equal(_buffer.WrittenCount - 1, written);
            Assert.Equal(0xAA, _buffer.WrittenSpan[0]);
            Assert.Equal(expected, ChangeEvent.Parser.ParseFrom(_buffer.WrittenSpan[1..]));
            Assert.Equal(expected.ToByteArray(), _buffer.WrittenSpan[1..].ToArray());
            Events.Add(expected);
        }

        public void OnRelation(RelationInfo relation)
        {
        }
    }

    private sealed class CallbackHandler(Action<ChangeItem> onChange) : IChangeHandler
    {
        public void OnChange(ChangeItem change) => onChange(change);

        public void OnRelation(RelationInfo relation)
        {
        }
    }
}
