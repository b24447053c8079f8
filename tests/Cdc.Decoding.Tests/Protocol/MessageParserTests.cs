using System.Buffers;
using System.Text;
using Cdc.Decoding.Protocol.Messages;
using Cdc.Decoding.Protocol;
using Cdc.Decoding.Tests.Support;
using Cdc.Testing;
using static Cdc.Decoding.Tests.Support.PgOutputBuilder;

namespace Cdc.Decoding.Tests.Protocol;

/// <summary>Each message type parsed from bytes laid out as the protocol documentation says.</summary>
public sealed class MessageParserTests
{
    private static readonly PgOutputOptions V4 = new() { ProtocolVersion = 4, Binary = true };

    [Fact]
    public void Begin_reads_final_lsn_commit_time_and_xid()
    {
        var reader = Reader(Begin(0x1_0000_0010, 123_456, 777));
        Assert.Equal(new BeginMessage(new Lsn(0x1_0000_0010), 123_456, 777), BeginMessage.Read(ref reader));
    }

    [Fact]
    public void Commit_reads_flags_commit_and_end_lsn_and_time()
    {
        var reader = Reader(Commit(0x20, 0x48, 99));
        Assert.Equal(new CommitMessage(0, new Lsn(0x20), new Lsn(0x48), 99), CommitMessage.Read(ref reader));
    }

    [Fact]
    public void Origin_reads_lsn_and_name()
    {
        var reader = Reader(Origin(0x99, "upstream"));
        Assert.Equal(new OriginMessage(new Lsn(0x99), "upstream"), OriginMessage.Read(ref reader));
    }

    [Fact]
    public void Relation_reads_columns_key_flags_and_reports_empty_namespace_as_pg_catalog()
    {
        var reader = Reader(Relation(16384, "", "pg_thing", 'f', ("id", 23, -1, true), ("name", 1043, 36, false)));
        var relation = RelationMessage.Read(ref reader, streamed: false);
        Assert.Equal((16384u, "pg_catalog", "pg_thing", ReplicaIdentity.Full), (relation.RelationId, relation.Namespace, relation.Name, relation.ReplicaIdentity));
        Assert.Equal([new RelationColumn(1, "id", 23, -1), new RelationColumn(0, "name", 1043, 36)], relation.Columns);
    }

    [Fact]
    public void Relation_in_a_streamed_block_starts_with_the_xid()
    {
        var reader = Reader(RelationStreamed(55, 1, "s", "t", 'd', ("a", 25, -1, false)));
        Assert.Equal(55u, RelationMessage.Read(ref reader, streamed: true).Xid);
    }

    [Fact]
    public void Type_reads_oid_namespace_and_name()
    {
        var reader = Reader(Type(null, 16500, "public", "mood"));
        Assert.Equal(new TypeMessage(0, 16500, "public", "mood"), TypeMessage.Read(ref reader, streamed: false));
    }

    [Fact]
    public void Insert_reads_every_tuple_kind_without_copying_contiguous_values()
    {
        var bytes = Insert(null, 7, "abc", null, "~", new byte[] { 1, 2, 3 }, "");
        var tuple = new TupleData();
        var reader = Reader(bytes);
        var insert = InsertMessage.Read(ref reader, streamed: false, tuple);

        Assert.Equal(7u, insert.RelationId);
        Assert.Equal(["t:abc", "n", "u", "b:010203", "t:"], RecordingHandler.Values(tuple)!);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(tuple.GetRawMemory(0), out var segment) && segment.Array == bytes);
    }

    [Fact]
    public void Update_reads_old_key_old_row_or_only_the_new_row()
    {
        var oldRow = new TupleData();
        var newRow = new TupleData();

        var reader = Reader(Update(null, 1, 'K', ["1"], "2", "x"));
        var withKey = UpdateMessage.Read(ref reader, streamed: false, oldRow, newRow);
        Assert.True(withKey.HasOldRow && !withKey.OldRowIsFull);
        Assert.Equal(["t:1"], RecordingHandler.Values(oldRow)!);
        Assert.Equal(["t:2", "t:x"], RecordingHandler.Values(newRow)!);

        reader = Reader(Update(null, 1, 'O', ["1", "y"], "1", "~"));
        Assert.True(UpdateMessage.Read(ref reader, streamed: false, oldRow, newRow).OldRowIsFull);

        reader = Reader(Update(9, 1, null, null, "1", "z"));
        var plain = UpdateMessage.Read(ref reader, streamed: true, oldRow, newRow);
        Assert.Equal((9u, false), (plain.Xid, plain.HasOldRow));
    }

    [Fact]
    public void Delete_reads_the_old_key_or_row()
    {
        var oldRow = new TupleData();
        var reader = Reader(Delete(null, 3, 'O', "1", null));
        var delete = DeleteMessage.Read(ref reader, streamed: false, oldRow);
        Assert.Equal((3u, true), (delete.RelationId, delete.OldRowIsFull));
        Assert.Equal(["t:1", "n"], RecordingHandler.Values(oldRow)!);
    }

    [Fact]
    public void Truncate_reads_options_and_every_relation()
    {
        var ids = new uint[1];
        var reader = Reader(Truncate(null, 3, 10, 11, 12));
        var truncate = TruncateMessage.Read(ref reader, streamed: false, ref ids);
        Assert.Equal(TruncateOptions.Cascade | TruncateOptions.RestartIdentity, truncate.Options);
        Assert.Equal([10u, 11u, 12u], ids.Take(truncate.RelationCount));
    }

    [Fact]
    public void Logical_message_reads_flags_lsn_prefix_and_content()
    {
        var reader = Reader(LogicalMessage(4, true, 0x500, "outbox", "{\"a\":1}"));
        var message = LogicalDecodingMessage.Read(ref reader, streamed: true, new CopyBuffer());
        Assert.Equal((4u, true, new Lsn(0x500), "outbox", "{\"a\":1}"),
            (message.Xid, message.Transactional, message.MessageLsn, message.Prefix, Encoding.UTF8.GetString(message.Content.Span)));
    }

    [Fact]
    public void Logical_message_prefixes_are_cached_so_repeats_share_one_string()
    {
        var cache = new StringCache();
        var first = Reader(LogicalMessage(null, true, 1, "outbox", "a"));
        var second = Reader(LogicalMessage(null, true, 2, "outbox", "b"));
        var a = LogicalDecodingMessage.Read(ref first, streamed: false, new CopyBuffer(), cache);
        var b = LogicalDecodingMessage.Read(ref second, streamed: false, new CopyBuffer(), cache);
        Assert.Same(a.Prefix, b.Prefix);
    }

    [Fact]
    public void Stream_messages_read_their_fields()
    {
        var start = Reader(StreamStart(42, first: true));
        Assert.Equal(new StreamStartMessage(42, true), StreamStartMessage.Read(ref start));

        var stop = Reader(StreamStop());
        StreamStopMessage.Read(ref stop);

        var commit = Reader(StreamCommit(42, 0x30, 0x58, 5));
        Assert.Equal(new StreamCommitMessage(42, 0, new Lsn(0x30), new Lsn(0x58), 5), StreamCommitMessage.Read(ref commit));

        var abort = Reader(StreamAbort(42, 43));
        Assert.Equal(new StreamAbortMessage(42, 43, Lsn.Invalid, 0), StreamAbortMessage.Read(ref abort));
    }

    [Fact]
    public void Stream_abort_of_protocol_4_parallel_streaming_reads_the_abort_lsn_and_time()
    {
        var abort = Reader(StreamAbortParallel(42, 42, 0x77, 1234), V4);
        var message = StreamAbortMessage.Read(ref abort);
        Assert.True(message.AbortsWholeTransaction);
        Assert.Equal((new Lsn(0x77), 1234L), (message.AbortLsn, message.AbortTimestamp));
    }

    [Fact]
    public void Stream_abort_with_abort_lsn_is_rejected_before_protocol_4()
    {
        var bytes = StreamAbortParallel(42, 42, 0x77, 1234);
        Assert.Throws<PgOutputException>(() => MessageDescriber.Describe(new ReadOnlySequence<byte>(bytes), false, new PgOutputOptions { ProtocolVersion = 2 }));
    }

    [Fact]
    public void Two_phase_messages_read_their_fields()
    {
        var begin = Reader(BeginPrepare(0x10, 0x20, 3, 9, "gid-1"));
        Assert.Equal(new BeginPrepareMessage(new Lsn(0x10), new Lsn(0x20), 3, 9, "gid-1"), BeginPrepareMessage.Read(ref begin));

        var prepare = Reader(Prepare(0x10, 0x20, 3, 9, "gid-1"));
        Assert.Equal(new PrepareMessage(0, new Lsn(0x10), new Lsn(0x20), 3, 9, "gid-1"), PrepareMessage.Read(ref prepare));

        var streamPrepare = Reader(StreamPrepare(0x10, 0x20, 3, 9, "gid-2"));
        Assert.Equal("gid-2", StreamPrepareMessage.Read(ref streamPrepare).Gid);

        var commit = Reader(CommitPrepared(0x30, 0x40, 4, 9, "gid-1"));
        Assert.Equal(new CommitPreparedMessage(0, new Lsn(0x30), new Lsn(0x40), 4, 9, "gid-1"), CommitPreparedMessage.Read(ref commit));

        var rollback = Reader(RollbackPrepared(0x20, 0x50, 3, 5, 9, "gid-1"));
        Assert.Equal(new RollbackPreparedMessage(0, new Lsn(0x20), new Lsn(0x50), 3, 5, 9, "gid-1"), RollbackPreparedMessage.Read(ref rollback));
    }

    [Fact]
    public void Truncated_message_error_names_lsn_type_and_offset()
    {
        var bytes = Begin(1, 2, 3);
        var reader = new PgReader(new ReadOnlySequence<byte>(bytes.AsMemory(0, 12)), new Lsn(0x1_0000_00AB), V4);
        PgOutputException? error = null;
        try
        {
            BeginMessage.Read(ref reader);
        }
        catch (PgOutputException e)
        {
            error = e;
        }

        Assert.NotNull(error);
        Assert.Equal((new Lsn(0x1_0000_00AB), (byte)'B', 9L), (error.Lsn, error.MessageType, error.Offset));
        Assert.Contains("1/AB", error.Message, StringComparison.Ordinal);
        Assert.Contains("'B'", error.Message, StringComparison.Ordinal);
        Assert.Contains("offset 9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trailing_bytes_after_a_message_are_an_error()
    {
        byte[] bytes = [.. Commit(1, 2, 3), 0];
        Assert.Throws<PgOutputException>(() => MessageDescriber.Describe(new ReadOnlySequence<byte>(bytes), false, V4));
    }

    [Fact]
    public void A_value_split_across_segments_is_copied_into_one_contiguous_value()
    {
        var tuple = new TupleData();
        var reader = new PgReader(Segments.PerByte(Insert(null, 7, "hello", new byte[] { 9, 8 })), Lsn.Invalid, V4);
        InsertMessage.Read(ref reader, streamed: false, tuple);
        Assert.Equal(["t:hello", "b:0908"], RecordingHandler.Values(tuple)!);
    }

    private static PgReader Reader(byte[] bytes, PgOutputOptions? options = null)
        => new(new ReadOnlySequence<byte>(bytes), new Lsn(0x10), options ?? V4);
}
