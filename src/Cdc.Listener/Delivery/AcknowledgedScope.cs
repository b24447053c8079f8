namespace Cdc.Listener.Delivery;

/// <summary>What "everything acknowledged" means to a waiter of <see cref="LsnTracker.WaitForAcknowledgedAsync"/>.</summary>
public enum AcknowledgedScope
{
    /// <summary>No pushed chunk awaits an ack (a transaction may still be partly pushed).</summary>
    Chunks,

    /// <summary>No pushed transaction waits: the flush LSN is past every one.</summary>
    Transactions,
}
