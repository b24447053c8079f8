using Cdc.Listener.Outbox;

namespace Cdc.Listener.Telemetry;

/// <summary>The outbox relay's counters as <c>/status</c> and <see cref="OutboxInstruments"/> see them; null while no outbox table is configured.</summary>
public sealed class OutboxStatus
{
    private OutboxRelay? _relay;

    public OutboxCounters? Counters => Volatile.Read(ref _relay)?.Counters;

    /// <summary>The relay of this run (null: no outbox tables).</summary>
    internal void Attach(OutboxRelay? relay) => Volatile.Write(ref _relay, relay);
}
