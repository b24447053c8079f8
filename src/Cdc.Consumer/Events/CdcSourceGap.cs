using Cdc.V1;

namespace Cdc.Consumer.Events;

/// <summary>
/// Changes committed in PostgreSQL between <see cref="GapEvent.FromLsn"/> and <see cref="GapEvent.ToLsn"/> were never
/// captured: Cdc started on a new slot (the old one was dropped, invalidated or missing after a failover) because the
/// operator allowed it. Published on <c>&lt;prefix&gt;.&lt;database&gt;._gap</c>; a consumer that keeps state should
/// reload or reconcile it. Counted in <c>cdc_consumer_source_gaps</c>.
/// </summary>
public sealed class CdcSourceGap : CdcEvent
{
    internal CdcSourceGap(CdcEventEnvelope envelope, GapEvent gap)
        : base(envelope)
    {
        Gap = gap;
    }

    /// <summary>The gap as Cdc published it: slot, LSN range, when and why.</summary>
    public GapEvent Gap { get; }
}
