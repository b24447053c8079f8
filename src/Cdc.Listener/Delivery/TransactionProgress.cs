namespace Cdc.Listener.Delivery;

/// <summary>Delivery progress of one pushed transaction.</summary>
internal struct TransactionProgress
{
    public long Sequence;
    public ulong EndLsn;

    /// <summary>Chunks pushed and not yet acknowledged.</summary>
    public int PendingChunks;

    /// <summary>Whether the chunk marked last of the transaction was pushed: before that more may come.</summary>
    public bool LastChunkPushed;

    public readonly bool IsDelivered => LastChunkPushed && PendingChunks == 0;
}
