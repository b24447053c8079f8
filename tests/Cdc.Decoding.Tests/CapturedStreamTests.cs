using Cdc.Decoding.Tests.Support;

namespace Cdc.Decoding.Tests;

/// <summary>Real pgoutput bytes saved from PostgreSQL 15 (Captured/), decoded without a server.</summary>
public sealed class CapturedStreamTests
{
    [Fact]
    public void Protocol1_capture_decodes_every_change_with_toast_and_replica_identity_full()
    {
        using var pipeline = Decode("v1-text.txt", new PgOutputOptions { ProtocolVersion = 1 });
        var changes = pipeline.Handler.Changes;
        Assert.Equal(11, changes.Count);
        Assert.Equal("u", changes[2].NewRow![5]);
        Assert.Equal("t:" + new string('y', 5000), changes[6].NewRow![1]);
        Assert.Equal("mood", pipeline.Handler.Relations.First(r => r.Name == "items").Columns[4].TypeName);
        Assert.All(pipeline.Transactions, t => Assert.True(t.EndLsn.Value > 0));
        Assert.Equal(pipeline.Transactions.Select(t => t.EndLsn).Order(), pipeline.Transactions.Select(t => t.EndLsn));
    }

    [Fact]
    public void Protocol2_binary_capture_decodes_binary_values_and_messages()
    {
        using var pipeline = Decode("v2-binary-messages.txt", new PgOutputOptions { ProtocolVersion = 2, Binary = true, Messages = true });
        var changes = pipeline.Handler.Changes;
        Assert.Equal("b:0000000000000007", changes[0].NewRow![0]);
        Assert.Equal(("outbox", "in-tx", true), (changes[1].MessagePrefix, changes[1].MessageContent, changes[1].MessageTransactional));
        Assert.Equal(("audit", "outside", false), (changes[2].MessagePrefix, changes[2].MessageContent, changes[2].MessageTransactional));
    }

    [Fact]
    public void Streaming_capture_delivers_only_committed_rows_in_commit_order()
    {
        using var pipeline = Decode("v2-streaming.txt", new PgOutputOptions { ProtocolVersion = 2, Streaming = true });
        var changes = pipeline.Handler.Changes;
        Assert.Equal(1702, changes.Count);
        Assert.Equal("public.small", changes[0].Table);
        Assert.Equal(1700, changes.Count(c => c.Table == "public.big"));
        Assert.DoesNotContain(changes, c => c.Table == "public.big" && (c.NewRow![1] is "t:gone" || c.NewRow[1].StartsWith("t:q", StringComparison.Ordinal)));
        Assert.Equal(0, pipeline.Assembler.OpenTransactionCount);
    }

    [Fact]
    public void Streaming_capture_spills_when_the_threshold_is_small_and_decodes_the_same()
    {
        using var memory = Decode("v2-streaming.txt", new PgOutputOptions { ProtocolVersion = 2, Streaming = true });
        using var spilled = Decode("v2-streaming.txt", new PgOutputOptions { ProtocolVersion = 2, Streaming = true, SpillThresholdBytes = 16 * 1024 });
        Assert.Contains(spilled.Transactions, t => t.Spilled);
        Assert.Equal(memory.Handler.Changes, spilled.Handler.Changes, (a, b) => a.NewRow!.SequenceEqual(b.NewRow!) && a.Index == b.Index && a.IsLast == b.IsLast);
    }

    [Fact]
    public void Two_phase_capture_delivers_the_committed_prepared_transaction_and_drops_the_rolled_back_one()
    {
        using var pipeline = Decode("v3-two-phase.txt", new PgOutputOptions { ProtocolVersion = 3, TwoPhase = true });
        Assert.Equal(["t:3", "t:1", "t:2"], pipeline.Handler.Changes.Select(c => c.NewRow![0]));
    }

    [Fact]
    public void Replaying_a_capture_with_SkipThrough_delivers_only_the_later_transactions()
    {
        using var first = Decode("v1-text.txt", new PgOutputOptions { ProtocolVersion = 1 });
        var resumeAfter = first.Transactions[4].EndLsn;

        using var resumed = new Pipeline(new PgOutputOptions { ProtocolVersion = 1 });
        resumed.Assembler.SkipThrough = resumeAfter;
        resumed.FeedAll(CapturedMessage.LoadCaptured("v1-text.txt"));

        Assert.Equal(first.Transactions.Skip(5).Select(t => t.EndLsn), resumed.Transactions.Select(t => t.EndLsn));
        Assert.Equal(first.Handler.Changes.Where(c => c.EndLsn > resumeAfter).Select(c => c.NewRow?.FirstOrDefault()),
            resumed.Handler.Changes.Select(c => c.NewRow?.FirstOrDefault()));
    }

    private static Pipeline Decode(string file, PgOutputOptions options)
    {
        var pipeline = new Pipeline(options);
        pipeline.FeedAll(CapturedMessage.LoadCaptured(file));
        return pipeline;
    }
}
