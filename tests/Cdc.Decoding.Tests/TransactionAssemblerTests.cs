using Cdc.Decoding.Tests.Support;
using Cdc.Testing;
using static Cdc.Decoding.Tests.Support.PgOutputBuilder;

namespace Cdc.Decoding.Tests;

public sealed class TransactionAssemblerTests
{
    private const uint Rel = 16400;
    private static readonly byte[] Items = Relation(Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false));

    private static PgOutputOptions V3Streaming => new() { ProtocolVersion = 3, Streaming = true, TwoPhase = true, Messages = true };

    [Fact]
    public void Plain_transaction_is_returned_at_commit_with_its_positions_and_unix_commit_time()
    {
        using var assembler = new TransactionAssembler(new PgOutputOptions());
        Assert.Null(Append(assembler, Begin(0x100, 1_000_000, 5)));
        Assert.Null(Append(assembler, Items));
        Assert.Null(Append(assembler, Insert(null, Rel, "1", "a")));
        Assert.Equal(1, assembler.OpenTransactionCount);
        using var tx = Append(assembler, Commit(0x100, 0x130, 1_000_000));

        Assert.NotNull(tx);
        Assert.Equal((5u, new Lsn(0x100), new Lsn(0x130), 946_684_801_000_000L, 1, 2), (tx.Xid, tx.CommitLsn, tx.EndLsn, tx.CommitTimeMicros, tx.ChangeCount, tx.MessageCount));
        Assert.Equal(0, assembler.OpenTransactionCount);
    }

    [Fact]
    public void Origin_names_the_transaction()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        pipeline.Feed(Begin(0x100, 0, 5));
        pipeline.Feed(Origin(0x50, "node_a"));
        pipeline.Feed(Items);
        pipeline.Feed(Insert(null, Rel, "1", "a"));
        pipeline.Feed(Commit(0x100, 0x130, 0));
        Assert.Equal("node_a", Assert.Single(pipeline.Handler.Changes).Origin);
    }

    [Fact]
    public void Streamed_transactions_interleave_by_xid_and_commit_in_commit_order()
    {
        using var pipeline = new Pipeline(V3Streaming);
        pipeline.Feed(StreamStart(10, first: true));
        pipeline.Feed(RelationStreamed(10, Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false)));
        pipeline.Feed(Insert(10, Rel, "1", "ten-a"));
        pipeline.Feed(StreamStop());
        pipeline.Feed(StreamStart(20, first: true));
        pipeline.Feed(RelationStreamed(20, Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false)));
        pipeline.Feed(Insert(20, Rel, "2", "twenty"));
        pipeline.Feed(StreamStop());
        pipeline.Feed(StreamStart(10, first: false));
        pipeline.Feed(Insert(10, Rel, "3", "ten-b"));
        pipeline.Feed(StreamStop());
        Assert.Equal(2, pipeline.Assembler.OpenTransactionCount);

        pipeline.Feed(StreamCommit(20, 0x200, 0x228, 0));
        pipeline.Feed(StreamCommit(10, 0x300, 0x328, 0));

        Assert.Equal(["t:twenty", "t:ten-a", "t:ten-b"], pipeline.Handler.Changes.Select(c => c.NewRow![1]));
        Assert.Equal([20u, 10u, 10u], pipeline.Handler.Changes.Select(c => c.Xid));
        Assert.Equal([true, false, true], pipeline.Handler.Changes.Select(c => c.IsLast));
        Assert.Equal(0, pipeline.Assembler.OpenTransactionCount);
    }

    [Fact]
    public void Stream_abort_of_the_whole_transaction_drops_it()
    {
        using var pipeline = new Pipeline(V3Streaming);
        pipeline.Feed(StreamStart(10, first: true));
        pipeline.Feed(RelationStreamed(10, Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false)));
        pipeline.Feed(Insert(10, Rel, "1", "gone"));
        pipeline.Feed(StreamStop());
        pipeline.Feed(StreamAbort(10, 10));

        Assert.Equal(0, pipeline.Assembler.OpenTransactionCount);
        Assert.Empty(pipeline.Handler.Changes);
        Assert.Throws<PgOutputException>(() => pipeline.Feed(StreamCommit(10, 0x300, 0x328, 0)));
    }

    [Fact]
    public void Stream_abort_of_a_subtransaction_drops_only_the_changes_sent_with_its_xid()
    {
        using var pipeline = new Pipeline(V3Streaming);
        pipeline.Feed(StreamStart(10, first: true));
        pipeline.Feed(RelationStreamed(10, Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false)));
        pipeline.Feed(Insert(10, Rel, "1", "top"));
        pipeline.Feed(Insert(11, Rel, "2", "sub-aborted"));
        pipeline.Feed(Insert(12, Rel, "3", "sub-kept"));
        pipeline.Feed(StreamStop());
        pipeline.Feed(StreamAbort(10, 11));
        pipeline.Feed(StreamStart(10, first: false));
        pipeline.Feed(Insert(10, Rel, "4", "top-again"));
        pipeline.Feed(StreamStop());
        pipeline.Feed(StreamCommit(10, 0x300, 0x328, 0));

        Assert.Equal(["t:top", "t:sub-kept", "t:top-again"], pipeline.Handler.Changes.Select(c => c.NewRow![1]));
        Assert.Equal([0, 1, 2], pipeline.Handler.Changes.Select(c => c.Index));
        Assert.True(pipeline.Handler.Changes[^1].IsLast);
        Assert.Equal(3, pipeline.Transactions.Single().Changes);
    }

    [Fact]
    public void Stream_messages_are_refused_on_protocol_1()
    {
        using var assembler = new TransactionAssembler(new PgOutputOptions { ProtocolVersion = 1 });
        Assert.Throws<PgOutputException>(() => Append(assembler, StreamStart(10, first: true)));
    }

    [Fact]
    public void A_stream_block_continuing_an_unknown_transaction_is_a_protocol_error()
    {
        using var assembler = new TransactionAssembler(V3Streaming);
        var error = Assert.Throws<PgOutputException>(() => Append(assembler, StreamStart(10, first: false)));
        Assert.Contains("first segment", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepared_transaction_is_delivered_at_commit_prepared_after_transactions_committed_meanwhile()
    {
        using var pipeline = new Pipeline(V3Streaming);
        pipeline.Feed(BeginPrepare(0x100, 0x140, 0, 7, "g1"));
        pipeline.Feed(Items);
        pipeline.Feed(Insert(null, Rel, "1", "prepared"));
        pipeline.Feed(Prepare(0x100, 0x140, 0, 7, "g1"));
        Assert.Equal(new Lsn(0x100), pipeline.Assembler.OldestPreparedLsn);

        // Committed between PREPARE and COMMIT PREPARED, relying on the Relation sent with the prepared one.
        pipeline.Feed(Begin(0x200, 0, 8));
        pipeline.Feed(Insert(null, Rel, "2", "plain"));
        pipeline.Feed(Commit(0x200, 0x228, 0));

        pipeline.Feed(CommitPrepared(0x300, 0x328, 0, 7, "g1"));

        Assert.Equal(["t:plain", "t:prepared"], pipeline.Handler.Changes.Select(c => c.NewRow![1]));
        Assert.Equal([null, "g1"], pipeline.Handler.Changes.Select(c => c.Gid));
        Assert.Equal(new Lsn(0x328), pipeline.Handler.Changes[1].EndLsn);
        Assert.Null(pipeline.Assembler.OldestPreparedLsn);
    }

    [Fact]
    public void Rollback_prepared_drops_the_prepared_transaction()
    {
        using var pipeline = new Pipeline(V3Streaming);
        pipeline.Feed(BeginPrepare(0x100, 0x140, 0, 7, "g2"));
        pipeline.Feed(Items);
        pipeline.Feed(Insert(null, Rel, "1", "never"));
        pipeline.Feed(Prepare(0x100, 0x140, 0, 7, "g2"));
        pipeline.Feed(RollbackPrepared(0x140, 0x180, 0, 0, 7, "g2"));

        Assert.Empty(pipeline.Handler.Changes);
        Assert.Equal(0, pipeline.Assembler.OpenTransactionCount);
    }

    [Fact]
    public void Relations_sent_with_a_rolled_back_prepared_transaction_still_describe_later_changes()
    {
        using var pipeline = new Pipeline(V3Streaming);
        pipeline.Feed(BeginPrepare(0x100, 0x140, 0, 7, "g2"));
        pipeline.Feed(Items);
        pipeline.Feed(Insert(null, Rel, "1", "never"));
        pipeline.Feed(Prepare(0x100, 0x140, 0, 7, "g2"));
        pipeline.Feed(RollbackPrepared(0x140, 0x180, 0, 0, 7, "g2"));

        // The server marked the relation as sent and does not repeat it.
        pipeline.Feed(Begin(0x200, 0, 8));
        pipeline.Feed(Insert(null, Rel, "2", "later"));
        pipeline.Feed(Commit(0x200, 0x228, 0));

        Assert.Equal(["t:later"], pipeline.Handler.Changes.Select(c => c.NewRow![1]));
    }

    [Fact]
    public void Origin_sent_after_a_first_stream_start_names_the_streamed_transaction()
    {
        using var pipeline = new Pipeline(V3Streaming);
        pipeline.Feed(StreamStart(10, first: true));
        pipeline.Feed(Origin(0x10, "node_b"));
        pipeline.Feed(RelationStreamed(10, Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false)));
        pipeline.Feed(Insert(10, Rel, "1", "x"));
        pipeline.Feed(StreamStop());
        pipeline.Feed(StreamCommit(10, 0x300, 0x328, 0));
        Assert.Equal("node_b", Assert.Single(pipeline.Handler.Changes).Origin);
    }

    [Fact]
    public void Stream_prepare_holds_a_streamed_transaction_until_commit_prepared()
    {
        using var pipeline = new Pipeline(V3Streaming);
        pipeline.Feed(StreamStart(10, first: true));
        pipeline.Feed(RelationStreamed(10, Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false)));
        pipeline.Feed(Insert(10, Rel, "1", "streamed-prepared"));
        pipeline.Feed(StreamStop());
        pipeline.Feed(StreamPrepare(0x100, 0x140, 0, 10, "g3"));
        Assert.Empty(pipeline.Handler.Changes);

        pipeline.Feed(CommitPrepared(0x300, 0x328, 0, 10, "g3"));
        Assert.Equal("g3", Assert.Single(pipeline.Handler.Changes).Gid);
    }

    [Fact]
    public void Commit_prepared_of_an_unknown_gid_is_a_protocol_error_not_a_silent_loss()
    {
        using var assembler = new TransactionAssembler(V3Streaming);
        Assert.Throws<PgOutputException>(() => Append(assembler, CommitPrepared(0x300, 0x328, 0, 10, "unknown")));
    }

    [Fact]
    public void Non_transactional_message_is_a_transaction_of_its_own_ending_just_past_its_lsn()
    {
        using var pipeline = new Pipeline(V3Streaming);
        pipeline.Feed(LogicalMessage(null, false, 0x500, "audit", "hello"), 0x500);
        var change = Assert.Single(pipeline.Handler.Changes);
        Assert.Equal((ChangeKind.Message, "audit", "hello", false, 0, true, new Lsn(0x501)),
            (change.Kind, change.MessagePrefix, change.MessageContent, change.MessageTransactional, change.Index, change.IsLast, change.EndLsn));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Transaction_above_the_spill_threshold_goes_to_a_file_that_is_deleted_on_dispose(bool segmented)
    {
        var directory = Path.Combine(Path.GetTempPath(), "cdc-spill-test-" + Guid.NewGuid().ToString("N"));
        var options = new PgOutputOptions { SpillThresholdBytes = 4096, SpillDirectory = directory };
        using var assembler = new TransactionAssembler(options);

        // Segmented: every message one byte per segment, the path of a message split across read buffers.
        CommittedTransaction? Feed(byte[] message)
            => segmented ? assembler.Append(Segments.PerByte(message), 0x10, 0x10) : Append(assembler, message);

        Feed(Begin(0x100, 0, 5));
        Feed(Items);
        for (var i = 0; i < 1000; i++)
        {
            Feed(Insert(null, Rel, i.ToString(System.Globalization.CultureInfo.InvariantCulture), new string('z', 50)));
        }

        Assert.Single(SpilledFiles(directory));
        var tx = Feed(Commit(0x100, 0x130, 0))!;
        Assert.True(tx.IsSpilled);

        var handler = new RecordingHandler();
        new ChangeDecoder(options).Decode(tx, handler);
        Assert.Equal(1000, handler.Changes.Count);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"t:{i}"), handler.Changes.Select(c => c.NewRow![0]));
        Assert.True(handler.Changes[^1].IsLast);

        tx.Dispose();
        Assert.Empty(SpilledFiles(directory));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Spill_files_of_aborted_and_still_open_transactions_are_deleted()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cdc-spill-test-" + Guid.NewGuid().ToString("N"));
        var assembler = new TransactionAssembler(V3Streaming with { SpillThresholdBytes = 512, SpillDirectory = directory });
        foreach (var xid in new uint[] { 10, 20 })
        {
            Append(assembler, StreamStart(xid, first: true));
            for (var i = 0; i < 50; i++)
            {
                Append(assembler, Insert(xid, Rel, "1", new string('a', 40)));
            }

            Append(assembler, StreamStop());
        }

        Assert.Equal(2, SpilledFiles(directory).Length);
        Append(assembler, StreamAbort(10, 10));
        Assert.Single(SpilledFiles(directory));
        assembler.Dispose();
        Assert.Empty(SpilledFiles(directory));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Spilled_stream_with_an_aborted_subtransaction_still_drops_it()
    {
        var options = V3Streaming with { SpillThresholdBytes = 1024 };
        using var pipeline = new Pipeline(options);
        pipeline.Feed(StreamStart(10, first: true));
        pipeline.Feed(RelationStreamed(10, Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false)));
        for (var i = 0; i < 100; i++)
        {
            pipeline.Feed(Insert(i % 2 == 0 ? 10u : 11u, Rel, i.ToString(System.Globalization.CultureInfo.InvariantCulture), new string('s', 40)));
        }

        pipeline.Feed(StreamStop());
        pipeline.Feed(StreamAbort(10, 11));
        pipeline.Feed(StreamCommit(10, 0x300, 0x328, 0));

        Assert.True(pipeline.Transactions.Single().Spilled);
        Assert.Equal(50, pipeline.Handler.Changes.Count);
        Assert.All(pipeline.Handler.Changes, c => Assert.Equal(0, int.Parse(c.NewRow![0][2..], System.Globalization.CultureInfo.InvariantCulture) % 2));
    }

    [Fact]
    public void SkipThrough_drops_transactions_already_delivered_but_keeps_their_relations()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        pipeline.Assembler.SkipThrough = new Lsn(0x130);
        pipeline.Feed(Begin(0x100, 0, 5));
        pipeline.Feed(Items);
        pipeline.Feed(Insert(null, Rel, "1", "delivered before the restart"));
        pipeline.Feed(Commit(0x100, 0x130, 0));

        // The server sent the Relation once per session: the next transaction relies on it.
        pipeline.Feed(Begin(0x200, 0, 6));
        pipeline.Feed(Insert(null, Rel, "2", "new"));
        pipeline.Feed(Commit(0x200, 0x230, 0));

        Assert.Equal(["t:new"], pipeline.Handler.Changes.Select(c => c.NewRow![1]));
    }

    [Theory]
    [InlineData("commit without begin")]
    [InlineData("change outside a transaction")]
    [InlineData("begin inside a transaction")]
    [InlineData("stream start inside a transaction")]
    [InlineData("empty message")]
    [InlineData("unknown type")]
    public void Messages_out_of_place_are_protocol_errors(string situation)
    {
        using var assembler = new TransactionAssembler(V3Streaming);
        byte[][] messages = situation switch
        {
            "commit without begin" => [Commit(1, 2, 3)],
            "change outside a transaction" => [Insert(null, Rel, "1", "a")],
            "begin inside a transaction" => [Begin(1, 2, 3), Begin(1, 2, 3)],
            "stream start inside a transaction" => [Begin(1, 2, 3), StreamStart(3, true)],
            "empty message" => [[]],
            _ => [[(byte)'Z', 0, 0]],
        };

        // Every message before the last one is in place: only the last one is refused, and the error names it.
        foreach (var m in messages[..^1])
        {
            Append(assembler, m);
        }

        var error = Assert.Throws<PgOutputException>(() => Append(assembler, messages[^1]));
        Assert.Equal(messages[^1].Length == 0 ? (byte)0 : messages[^1][0], error.MessageType);
        Assert.Equal(new Lsn(0x10), error.Lsn);
    }

    [Fact]
    public void Message_above_the_size_cap_is_refused_before_it_is_copied()
    {
        using var assembler = new TransactionAssembler(new PgOutputOptions { MaxMessageBytes = 64 });
        Append(assembler, Begin(1, 2, 3));
        var error = Assert.Throws<PgOutputException>(() => Append(assembler, Insert(null, Rel, "1", new string('x', 100))));
        Assert.Contains("MaxMessageBytes 64", error.Message, StringComparison.Ordinal);
        Assert.Equal((byte)'I', error.MessageType);
        Assert.Equal(0, assembler.BufferedBytes);
    }

    private static CommittedTransaction? Append(TransactionAssembler assembler, byte[] message)
        => assembler.Append(new System.Buffers.ReadOnlySequence<byte>(message), 0x10, 0x10);

    /// <summary>Spill files anywhere under the spill directory (they live in a folder per process).</summary>
    private static string[] SpilledFiles(string directory) => Directory.GetFiles(directory, "*", SearchOption.AllDirectories);
}
