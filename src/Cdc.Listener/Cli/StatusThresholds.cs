namespace Cdc.Listener.Cli;

/// <summary>When a running sidecar counts as lagging.</summary>
/// <param name="MaxLag">End-to-end lag (or the slot's flush lag) above which it is lagging.</param>
/// <param name="MaxLagBytes">Slot lag in WAL bytes above which it is lagging.</param>
public sealed record StatusThresholds(TimeSpan MaxLag, long MaxLagBytes);
