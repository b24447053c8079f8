namespace Cdc.Listener.Source;

/// <summary>
/// A replication slot as PostgreSQL reports it: pg_replication_slots, with the time lag from
/// pg_stat_replication (the walsender serving the slot) when the slot is active.
/// </summary>
/// <param name="Name">Slot name.</param>
/// <param name="Exists">False when no slot of that name exists.</param>
/// <param name="Active">A walsender streams from the slot right now.</param>
/// <param name="ActivePid">Backend pid of that walsender.</param>
/// <param name="ConfirmedFlushLsn">Where the slot restarts decoding from: every change before it was confirmed.</param>
/// <param name="RestartLsn">Oldest WAL the slot keeps on disk.</param>
/// <param name="CurrentWalLsn">The server's current WAL insert position.</param>
/// <param name="LagBytes">WAL written since the confirmed flush LSN.</param>
/// <param name="LagSeconds">pg_stat_replication.flush_lag: null when idle or inactive.</param>
/// <param name="WalStatus">reserved, extended, unreserved or lost (PostgreSQL 13+).</param>
/// <param name="CheckedAt">When this was read.</param>
public sealed record SlotState(
    string Name,
    bool Exists,
    bool Active,
    int? ActivePid,
    string? ConfirmedFlushLsn,
    string? RestartLsn,
    string? CurrentWalLsn,
    long? LagBytes,
    double? LagSeconds,
    string? WalStatus,
    DateTimeOffset CheckedAt);
