using Cdc.Listener.Pipeline;

namespace Cdc.Listener.Tests.Pipeline;

public sealed class TransactionSequenceTests
{
    [Fact]
    public void A_heartbeat_acknowledged_after_a_commit_gives_that_commit_time_not_zero()
    {
        var sequence = new TransactionSequence();
        sequence.RecordCommit(100, 5_000_000);
        sequence.RecordCommit(200, 0); // a non-transactional logical message: no commit time

        Assert.Equal(5_000_000, sequence.TakeCommitTimeThrough(200));
        Assert.Equal(200UL, sequence.LastDeliveredEndLsn);
    }

    [Fact]
    public void Only_heartbeats_acknowledged_give_no_commit_time()
    {
        var sequence = new TransactionSequence();
        sequence.RecordCommit(300, 0);

        Assert.Null(sequence.TakeCommitTimeThrough(300));
    }
}
