using System.Buffers;
using Cdc.Decoding.Tests.Support;
using static Cdc.Decoding.Tests.Support.PgOutputBuilder;

namespace Cdc.Decoding.Tests;

/// <summary>
/// Plain transactions reuse their buffer once the caller disposed the previous one (no allocation per
/// transaction): a transaction still held must never see another one's rows, and a disposed one must refuse reads.
/// </summary>
public sealed class TransactionReuseTests
{
    private const uint Rel = 16400;
    private static readonly byte[] Items = Relation(Rel, "public", "items", 'd', ("id", 23, -1, true), ("name", 25, -1, false));

    [Fact]
    public void A_held_transaction_keeps_its_rows_while_later_transactions_reuse_disposed_buffers()
    {
        using var assembler = new TransactionAssembler(new PgOutputOptions());
        var decoder = new ChangeDecoder(new PgOutputOptions());
        using var first = Transaction(assembler, 1, Items, Insert(null, Rel, "1", "first"));

        // Later transactions come and go (each disposed, so their buffer is recycled) while the first is held.
        for (uint xid = 2; xid < 6; xid++)
        {
            using var later = Transaction(assembler, xid, Items, Insert(null, Rel, xid.ToString(), new string('x', 3000 * (int)xid)));
            var handler = new RecordingHandler();
            decoder.Decode(later, handler);
            Assert.Equal($"t:{new string('x', 3000 * (int)xid)}", Assert.Single(handler.Changes).NewRow![1]);
        }

        var firstHandler = new RecordingHandler();
        new ChangeDecoder(new PgOutputOptions()).Decode(first, firstHandler);
        Assert.Equal(["t:1", "t:first"], Assert.Single(firstHandler.Changes).NewRow!);
    }

    [Fact]
    public void Standalone_messages_reuse_the_buffer_but_a_held_one_keeps_its_content()
    {
        var options = new PgOutputOptions { ProtocolVersion = 2, Messages = true };
        using var assembler = new TransactionAssembler(options);
        var decoder = new ChangeDecoder(options);
        using var held = assembler.Append(LogicalMessage(null, false, 0x500, "outbox", "held"), 0x500, 0x500)!;

        for (var i = 0; i < 4; i++)
        {
            // Disposed each time, so the next message and the plain transaction after them reuse its buffer.
            var content = new string('m', 1000 * (i + 1));
            using var message = assembler.Append(LogicalMessage(null, false, 0x600 + (ulong)i, "outbox", content), 0x600, 0x600)!;
            var handler = new RecordingHandler();
            decoder.Decode(message, handler);
            Assert.Equal(content, Assert.Single(handler.Changes).MessageContent);
        }

        using (var plain = Transaction(assembler, 9, Items, Insert(null, Rel, "9", "plain")))
        {
            var handler = new RecordingHandler();
            decoder.Decode(plain, handler);
            Assert.Equal(["t:9", "t:plain"], Assert.Single(handler.Changes).NewRow!);
        }

        var heldHandler = new RecordingHandler();
        decoder.Decode(held, heldHandler);
        Assert.Equal(("held", new Lsn(0x501)), (Assert.Single(heldHandler.Changes).MessageContent, held.EndLsn));
    }

    [Fact]
    public void A_stream_of_standalone_messages_allocates_no_buffer_per_message()
    {
        var options = new PgOutputOptions { ProtocolVersion = 2, Messages = true };
        using var assembler = new TransactionAssembler(options);
        var message = LogicalMessage(null, false, 0x500, "outbox", new string('m', 200));
        for (var i = 0; i < 100; i++)
        {
            assembler.Append(message, 0x500, 0x500)!.Dispose(); // warm up: the reused buffer and its array
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            assembler.Append(message, 0x500, 0x500)!.Dispose();
        }

        // What is left per message is the CommittedTransaction handed out (about 100 bytes) and a small parse object;
        // a TransactionBuffer per message would add about 120 more.
        var perMessage = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000.0;
        Assert.True(perMessage < 200, $"{perMessage:F0} bytes allocated per standalone message");
    }

    [Fact]
    public void A_large_transaction_then_small_ones_decode_their_own_rows_in_a_reused_buffer()
    {
        using var pipeline = new Pipeline(new PgOutputOptions());
        pipeline.Feed(Begin(0x100, 0, 1));
        pipeline.Feed(Items);
        for (var i = 0; i < 200; i++)
        {
            pipeline.Feed(Insert(null, Rel, i.ToString(), new string('y', 500)));
        }

        pipeline.Feed(Commit(0x100, 0x110, 0));
        pipeline.Feed(Begin(0x200, 0, 2));
        pipeline.Feed(Insert(null, Rel, "small", "s"));
        pipeline.Feed(Commit(0x200, 0x210, 0));

        Assert.Equal(201, pipeline.Handler.Changes.Count);
        Assert.Equal(["t:small", "t:s"], pipeline.Handler.Changes[^1].NewRow!);
        Assert.Equal([(1u, new Lsn(0x110), 200, false), (2u, new Lsn(0x210), 1, false)], pipeline.Transactions);
    }

    [Fact]
    public void A_disposed_transaction_refuses_reads_and_decoding_but_keeps_its_counts()
    {
        using var assembler = new TransactionAssembler(new PgOutputOptions());
        var tx = Transaction(assembler, 1, Items, Insert(null, Rel, "1", "a"), Insert(null, Rel, "2", "b"));
        var size = tx.ByteSize;
        tx.Dispose();

        // The next transaction takes over the buffer; the disposed one must not read it.
        using var next = Transaction(assembler, 2, Insert(null, Rel, "3", "c"));
        Assert.Throws<ObjectDisposedException>(() => tx.ReadMessages());
        Assert.Throws<ObjectDisposedException>(() => new ChangeDecoder(new PgOutputOptions()).Decode(tx, new RecordingHandler()));
        Assert.Equal((3, 2, size, false), (tx.MessageCount, tx.ChangeCount, tx.ByteSize, tx.IsSpilled));
        Assert.Equal((1, 1), (next.MessageCount, next.ChangeCount));
    }

    private static CommittedTransaction Transaction(TransactionAssembler assembler, uint xid, params byte[][] changes)
    {
        var lsn = 0x1000UL * xid;
        Assert.Null(assembler.Append(new ReadOnlySequence<byte>(Begin(lsn, 0, xid)), lsn, lsn));
        foreach (var change in changes)
        {
            Assert.Null(assembler.Append(new ReadOnlySequence<byte>(change), lsn, lsn));
        }

        var tx = assembler.Append(new ReadOnlySequence<byte>(Commit(lsn, lsn + 0x10, 0)), lsn, lsn);
        Assert.NotNull(tx);
        return tx;
    }
}
