using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Backfill.Window;

/// <summary>Source-generated log messages of online backfills (event ids 7100-7199).</summary>
internal static partial class BackfillLog
{
    [LoggerMessage(7100, LogLevel.Information, "Backfill of {Table} requested (signal at {Lsn}{Where})")]
    public static partial void Requested(ILogger logger, string table, string lsn, string where);

    [LoggerMessage(7101, LogLevel.Warning, "Backfill signal at {Lsn} ignored: {Reason}")]
    public static partial void SignalIgnored(ILogger logger, string lsn, string reason);

    [LoggerMessage(7102, LogLevel.Information, "Backfill of {Table} {Action} at chunk {Chunk} ({Rows} rows done), reading by {Order}")]
    public static partial void Started(ILogger logger, string table, string action, long chunk, long rows, string order);

    [LoggerMessage(7103, LogLevel.Debug, "Backfill of {Table}: chunk {Chunk} of {Rows} rows ({Dropped} dropped for changes streamed meanwhile) acknowledged at {Lsn}")]
    public static partial void ChunkAcknowledged(ILogger logger, string table, long chunk, int rows, int dropped, string lsn);

    [LoggerMessage(7104, LogLevel.Information, "Backfill of {Table} complete: {Rows} rows in {Seconds:0.0}s, marker published with start position {Lsn}")]
    public static partial void Completed(ILogger logger, string table, long rows, double seconds, string lsn);

    [LoggerMessage(7105, LogLevel.Debug, "Backfill of {Table}: chunk {Chunk} read again, its watermark window was not seen whole in this replication session")]
    public static partial void ChunkRetried(ILogger logger, string table, long chunk);

    [LoggerMessage(7106, LogLevel.Warning, "Backfill of {Table} will retry in {Seconds:0.0}s: {Reason}")]
    public static partial void Retrying(ILogger logger, string table, double seconds, string reason);

    [LoggerMessage(7107, LogLevel.Error, "Backfill of {Table} abandoned: {Reason}")]
    public static partial void Abandoned(ILogger logger, string table, string reason);
}
