using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Snapshot;

/// <summary>Source-generated log messages of the initial snapshot (event ids 7000-7099).</summary>
internal static partial class SnapshotLog
{
    [LoggerMessage(7000, LogLevel.Information, "Initial snapshot: temporary slot {TemporarySlot} exported snapshot {Snapshot} at consistent point {Lsn}; reading {Count} published tables")]
    public static partial void Started(ILogger logger, string temporarySlot, string snapshot, string lsn, int count);

    [LoggerMessage(7001, LogLevel.Information, "Snapshot of {Table}: {Rows} rows published in {Seconds:0.000}s")]
    public static partial void TableRead(ILogger logger, string table, long rows, double seconds);

    [LoggerMessage(7002, LogLevel.Information, "Initial snapshot acknowledged: {Rows} rows of {Count} tables; slot {Slot} created at {Lsn}")]
    public static partial void Completed(ILogger logger, long rows, int count, string slot, string lsn);

    [LoggerMessage(7003, LogLevel.Information, "Initial snapshot acknowledged: {Rows} rows of {Count} tables at {Lsn}; Cdc:Snapshot is initial_only, so no slot is kept and Cdc stops")]
    public static partial void CompletedOnly(ILogger logger, long rows, int count, string lsn);
}
