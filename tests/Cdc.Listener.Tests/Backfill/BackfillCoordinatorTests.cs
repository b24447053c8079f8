using System.Buffers;
using Cdc.Decoding;
using Cdc.Decoding.Snapshot;
using Cdc.Decoding.Tests.Support;
using Cdc.Decoding.Transactions;
using Cdc.Listener.Backfill;
using Cdc.Listener.Backfill.Window;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Listener.Tests.Backfill;

/// <summary>
/// The watermark window as the pipeline drives it, from pgoutput bytes: chunk rows whose key changed between the low
/// and high watermark are superseded, the others are published; a window not seen whole in one session is read again.
/// </summary>
public sealed class BackfillCoordinatorTests : IDisposable
{
    private const uint Relid = 16400;
    private const string Slot = "s1";

    private readonly BackfillCoordinator _coordinator = new(Slot, NullLogger.Instance);
    private readonly TransactionAssembler _assembler = new(new PgOutputOptions());
    private readonly ChangeDecoder _decoder = new(new PgOutputOptions());
    private readonly byte[] _relation = PgOutputBuilder.Relation(Relid, "public", "t", 'd', ("id", 23, -1, true), ("v", 23, -1, false));
    private ulong _lsn = 0x1000;

    private static readonly RelationInfo Table = SnapshotRelation.Build(Relid, "public", "t", ReplicaIdentity.Default,
        [new("id", 23, -1, true), new("v", 23, -1, false)], null);

    [Fact]
    public void Rows_changed_inside_the_window_are_superseded_and_the_others_kept()
    {
        var low = new Watermark(false, Slot, "job", 1, 1);
        var chunk = Expect(low, "1", "2", "3", "4", "5");
        Commit(PgOutputBuilder.Update(null, Relid, null, null, "2", "20"));
        Commit(PgOutputBuilder.Delete(null, Relid, 'K', "4", null));
        Commit(PgOutputBuilder.Update(null, Relid, 'K', ["5", null], "9", "50")); // key 5 moved to 9
        Commit(Mark(low with { IsHigh = true }));

        Assert.Same(chunk, _coordinator.TakeReady());
        Assert.Equal([false, true, false, true, true], Superseded(chunk));
    }

    [Fact]
    public void Changes_before_the_low_watermark_or_to_other_tables_supersede_nothing()
    {
        var low = new Watermark(false, Slot, "job", 1, 1);
        _coordinator.Expect(low, "public", "t", ["id"]);
        Commit(PgOutputBuilder.Update(null, Relid, null, null, "1", "10")); // before the low watermark
        Commit(Mark(low));
        Commit(PgOutputBuilder.Relation(Relid + 1, "public", "other", 'd', ("id", 23, -1, true)), PgOutputBuilder.Update(null, Relid + 1, null, null, "2"));
        var chunk = Chunk(low, "1", "2");
        _coordinator.Provide(chunk);
        Commit(Mark(low with { IsHigh = true }));

        Assert.Same(chunk, _coordinator.TakeReady());
        Assert.Equal([false, false], Superseded(chunk));
    }

    [Fact]
    public void A_truncate_inside_the_window_supersedes_the_whole_chunk()
    {
        var low = new Watermark(false, Slot, "job", 1, 1);
        var chunk = Expect(low, "1", "2");
        Commit(PgOutputBuilder.Truncate(null, 0, Relid));
        Commit(Mark(low with { IsHigh = true }));

        Assert.Same(chunk, _coordinator.TakeReady());
        Assert.Equal([true, true], Superseded(chunk));
    }

    [Fact]
    public async Task A_window_cut_by_a_new_session_sends_the_chunk_back_to_be_read_again()
    {
        var low = new Watermark(false, Slot, "job", 1, 1);
        var chunk = Expect(low, "1");
        _coordinator.OnSessionStart();

        Assert.Null(await chunk.Delivered.WaitAsync(TimeSpan.FromSeconds(5)));
        Commit(Mark(low with { IsHigh = true }));
        Assert.Null(_coordinator.TakeReady());
    }

    [Fact]
    public async Task Watermarks_of_another_slot_or_attempt_are_consumed_and_ignored()
    {
        var low = new Watermark(false, Slot, "job", 1, 2);
        _coordinator.Expect(low, "public", "t", ["id"]);
        Commit(Mark(low with { Attempt = 1 }), Mark(low with { Slot = "other" }));
        var chunk = Chunk(low, "1");
        _coordinator.Provide(chunk);
        Commit(Mark(low with { IsHigh = true }));

        Assert.Null(_coordinator.TakeReady());
        Assert.True(chunk.Delivered.IsCompleted, "the high watermark without its low one must send the chunk back");
        Assert.Null(await chunk.Delivered);
    }

    [Theory]
    [InlineData("low:s1:0000000001A2B3C4:7:2", true)]
    [InlineData("high:s1:job:7:2", true)]
    [InlineData("mid:s1:job:7:2", false)]
    [InlineData("low:s1:job:x:2", false)]
    [InlineData("low:s1:job:7", false)]
    public void Watermark_content_round_trips_and_malformed_content_is_refused(string content, bool valid)
    {
        Assert.Equal(valid, Watermark.TryParse(System.Text.Encoding.UTF8.GetBytes(content), out var mark));
        if (valid)
        {
            Assert.Equal(content, mark.ToContent());
        }
    }

    [Theory]
    [InlineData("{\"table\":\"public.orders\",\"where\":\"id > 5\"}", "public", "orders", "id > 5")]
    [InlineData("{\"table\":\"s.t\"}", "s", "t", null)]
    [InlineData("{\"table\":\"orders\"}", null, null, null)]
    [InlineData("{\"table\":\"a.b\",\"where\":\"true; DROP TABLE x\"}", null, null, null)]
    [InlineData("not json", null, null, null)]
    public void Signals_are_parsed_or_refused_with_a_reason(string content, string? schema, string? table, string? where)
    {
        var signal = BackfillSignal.TryParse(System.Text.Encoding.UTF8.GetBytes(content), out var error);
        Assert.Equal(schema, signal?.Schema);
        Assert.Equal(table, signal?.Table);
        Assert.Equal(where, signal?.Where);
        Assert.Equal(signal is null, error is not null);
    }

    [Fact]
    public void Key_literals_escape_quotes_and_backslashes()
        => Assert.Equal(@"E'it''s \\ x'::text, E'5'::integer",
            ChunkReader.Literals(["it's \\ x", "5"], new TableKey(["a", "b"], ["text", "integer"])));

    public void Dispose() => _assembler.Dispose();

    private BackfillChunk Expect(Watermark low, params string[] keys)
    {
        _coordinator.Expect(low, "public", "t", ["id"]);
        Commit(Mark(low));
        var chunk = Chunk(low, keys);
        _coordinator.Provide(chunk);
        return chunk;
    }

    private static BackfillChunk Chunk(Watermark low, params string[] keys)
    {
        var chunk = new BackfillChunk(Table, low, 0x1000);
        foreach (var key in keys)
        {
            var start = chunk.WrittenCount;
            chunk.Writer.Write<byte>([1, 2, 3]);
            chunk.AddRow(start, WindowKey.OfText([key]));
        }

        return chunk;
    }

    private bool[] Superseded(BackfillChunk chunk) => Enumerable.Range(0, chunk.Count).Select(i => _coordinator.IsSuperseded(chunk.Key(i))).ToArray();

    private static byte[] Mark(Watermark mark) => PgOutputBuilder.LogicalMessage(null, true, 0x10, Watermark.Prefix, mark.ToContent());

    /// <summary>One transaction (the relation first) fed through the coordinator as the pipeline does.</summary>
    private void Commit(params byte[][] messages)
    {
        var begin = _lsn;
        _lsn += 0x100;
        foreach (var message in (byte[][])[PgOutputBuilder.Begin(begin, 1, 7), _relation, .. messages, PgOutputBuilder.Commit(begin, _lsn, 1)])
        {
            using var transaction = _assembler.Append(new ReadOnlySequence<byte>(message), begin, begin);
            if (transaction is not null)
            {
                _decoder.Decode(transaction, new Feed(_coordinator));
            }
        }
    }

    private sealed class Feed(BackfillCoordinator coordinator) : IChangeHandler
    {
        public void OnChange(ChangeItem change)
        {
            if (change.Kind == ChangeKind.Message)
            {
                coordinator.OnMessage(change);
            }
            else
            {
                coordinator.Observe(change);
            }
        }

        public void OnRelation(RelationInfo relation)
        {
        }
    }
}
