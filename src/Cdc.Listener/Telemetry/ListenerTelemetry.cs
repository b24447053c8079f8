namespace Cdc.Listener.Telemetry;

/// <summary>
/// The live numbers of one <c>cdc run</c>, one owner per area: each area writes only its own, where the measurement
/// happens; <c>/status</c> reads them all and each area's instruments read their own. Immutable: the set of owners,
/// not a place to put numbers (a new number goes into its area's owner, or a new owner here).
/// </summary>
public sealed record ListenerTelemetry(
    SessionStatus Session,
    SourceProgress Source,
    ChangeCounters Changes,
    DeliveryStatus Delivery,
    SinkStatus Sink,
    OutboxStatus Outbox,
    BackfillStatus Backfills)
{
    /// <summary>Fresh owners, all on one clock (the system clock unless a test gives a fake one).</summary>
    public static ListenerTelemetry Create(TimeProvider? time = null)
        => new(new SessionStatus(time), new SourceProgress(), new ChangeCounters(time), new DeliveryStatus(), new SinkStatus(), new OutboxStatus(), new BackfillStatus());
}
