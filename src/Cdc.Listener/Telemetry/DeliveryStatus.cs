using Cdc.Listener.Delivery;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// The delivery ledger as <c>/status</c> and <see cref="DeliveryInstruments"/> see it: read from the ledger itself at
/// collection (it keeps its counts under its own lock), so the push and ack paths pay nothing. The ledger is created
/// by the supervisor after the endpoint starts; until it is attached there is nothing in flight.
/// </summary>
public sealed class DeliveryStatus
{
    private Func<(long Bytes, int Chunks, int Transactions)>? _inFlight;
    private Func<LedgerCounters>? _counters;

    /// <summary>Bytes, chunks and transactions handed to the sink and not yet acknowledged; zeros before a ledger exists.</summary>
    public (long Bytes, int Chunks, int Transactions) InFlight => Volatile.Read(ref _inFlight)?.Invoke() ?? (0, 0, 0);

    /// <summary>The ledger's monotonic counters (pushes, acks, waits for budget); null before a ledger exists.</summary>
    public LedgerCounters? Counters => Volatile.Read(ref _counters)?.Invoke();

    public void Attach(DeliveryLedger ledger)
        => Attach(() => (ledger.Tracker.InFlightBytes, ledger.Tracker.PendingChunks, ledger.Tracker.PendingTransactions), () => ledger.Counters);

    /// <summary>Reads other than a ledger's (tests).</summary>
    internal void Attach(Func<(long Bytes, int Chunks, int Transactions)> inFlight, Func<LedgerCounters> counters)
    {
        Volatile.Write(ref _inFlight, inFlight);
        Volatile.Write(ref _counters, counters);
    }
}
