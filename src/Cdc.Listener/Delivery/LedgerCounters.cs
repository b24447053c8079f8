namespace Cdc.Listener.Delivery;

/// <summary>A snapshot of the ledger's monotonic counters (for metrics and the status endpoint).</summary>
/// <param name="PushedChunks">Chunks admitted by <see cref="DeliveryLedger.PushAsync"/>.</param>
/// <param name="PushedMessages">Messages in those chunks.</param>
/// <param name="PushedBytes">Payload bytes in those chunks.</param>
/// <param name="AckedChunks">Chunks whose every message was acknowledged or superseded.</param>
/// <param name="AckedMessages">Messages acknowledged by the sink.</param>
/// <param name="AckedBytes">Payload bytes of acknowledged chunks (freed from the in-flight budget).</param>
/// <param name="SupersededMessages">Messages dropped by the dedupe buffer and accounted as delivered.</param>
/// <param name="DeliveredTransactions">Transactions whose every chunk was acknowledged.</param>
/// <param name="DuplicateAcks">Acks of an already acknowledged message or chunk (each one threw).</param>
/// <param name="PushWaits">Pushes that had to wait for in-flight budget.</param>
/// <param name="PushWaitTime">Total time pushes spent waiting for budget.</param>
public readonly record struct LedgerCounters(
    long PushedChunks,
    long PushedMessages,
    long PushedBytes,
    long AckedChunks,
    long AckedMessages,
    long AckedBytes,
    long SupersededMessages,
    long DeliveredTransactions,
    long DuplicateAcks,
    long PushWaits,
    TimeSpan PushWaitTime);
