using Cdc.Listener.Pipeline;

namespace Cdc.Listener.Tests.Resume;

public sealed class ResumePointTests
{
    [Fact]
    public void A_change_id_means_earlier_transactions_whole_and_its_own_up_to_its_index()
    {
        var point = ResumePoint.Parse("s1", "s1:00000000016B3A28:7")!;
        Assert.Equal(0x16B3A28UL - 1, point.WholeThrough);
        Assert.Equal(0x16B3A28UL, point.PartialEnd);
        Assert.Equal(7, point.PartialIndex);
        Assert.True(point.Streamed);
        Assert.Equal(0u, point.Timeline);
        Assert.Equal(0x16B3A28UL, point.NewestEnd);
    }

    [Fact]
    public void An_id_written_with_the_timeline_gives_the_same_position()
    {
        // What MessageIds writes since ids carry the timeline; the ids a stream already holds stay readable.
        var id = MessageIds.ForChange("s1", timeline: 2, new Cdc.Decoding.Lsn(0x16B3A28), 7);
        var point = ResumePoint.Parse("s1", id)!;
        Assert.Equal(0x16B3A28UL - 1, point.WholeThrough);
        Assert.Equal(0x16B3A28UL, point.PartialEnd);
        Assert.Equal(7, point.PartialIndex);
        Assert.True(point.Streamed);
        Assert.Equal(2u, point.Timeline);

        var schema = ResumePoint.Parse("s1", MessageIds.ForSchema("s1", timeline: 2, new Cdc.Decoding.Lsn(0x16B3A28), 3, 16384))!;
        Assert.Equal(0x16B3A28UL - 1, schema.WholeThrough);
        Assert.Equal(-1, schema.PartialIndex);
    }

    [Fact]
    public void A_schema_id_leaves_its_transaction_unknown()
    {
        var point = ResumePoint.Parse("s1", "s1:00000000016B3A28:3:schema:16384")!;
        Assert.Equal(0x16B3A28UL - 1, point.WholeThrough);
        Assert.Equal(-1, point.PartialIndex);
        Assert.True(point.Streamed);
    }

    [Fact]
    public void Gap_and_snapshot_ids_stand_for_whole_positions_and_only_a_snapshot_is_not_streamed()
    {
        Assert.Equal(new ResumePoint(0x20, 0, -1, true, "s1:0000000000000020:gap"), ResumePoint.Parse("s1", "s1:0000000000000020:gap"));
        Assert.False(ResumePoint.Parse("s1", "s1:0000000000000020:read:public.t:5")!.Streamed);
        Assert.False(ResumePoint.Parse("s1", "s1:0000000000000020:snapshot:public.t")!.Streamed);
    }

    [Theory]
    [InlineData("s10:0000000000000020:1")]   // another slot whose name starts the same
    [InlineData("s1:00000000000020:1")]      // LSN not 16 digits
    [InlineData("s1:0000000000000000:1")]    // no position
    [InlineData("s1:000000000000002G:1")]
    [InlineData("s1:0000000000000020:-1")]
    [InlineData("s1:0000000000000020:heartbeat")]
    [InlineData("")]
    public void Ids_of_other_producers_or_slots_are_not_positions(string id)
        => Assert.Null(ResumePoint.Parse("s1", id));
}
