using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Outbox;

/// <summary>Source-generated log messages of the outbox relay (event ids 7500-7599).</summary>
internal static partial class OutboxLog
{
    [LoggerMessage(7500, LogLevel.Information, "Outbox table {Table}: {Shape} shape; its inserted rows are published as their messages")]
    public static partial void Recognised(ILogger logger, string table, string shape);

    [LoggerMessage(7501, LogLevel.Warning, "Outbox row {Table} {Key} was not relayed: {Error}")]
    public static partial void Refused(ILogger logger, string table, string key, string error);

    [LoggerMessage(7502, LogLevel.Warning, "Outbox clean-up or error record on {Table} failed, retried in {Seconds}s: {Error}")]
    public static partial void StoreFailed(ILogger logger, string table, double seconds, string error);

    [LoggerMessage(7503, LogLevel.Warning, "Outbox clean-up queue is full: {Count} relayed rows are left in their tables")]
    public static partial void DeletesDropped(ILogger logger, long count);

    [LoggerMessage(7504, LogLevel.Information, "Outbox clean-up left undone by the last run: deleted {Rows} rows whose messages the stream holds ({Messages} outbox messages read back in {Seconds:0.00}s)")]
    public static partial void LeftoversDeleted(ILogger logger, long rows, int messages, double seconds);

    [LoggerMessage(7505, LogLevel.Warning, "Outbox clean-up of rows the last run left behind failed (they stay in their tables): {Error}")]
    public static partial void LeftoversFailed(ILogger logger, string error);
}
