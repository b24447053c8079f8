using Microsoft.Extensions.Logging;

namespace Cdc.Consumer;

/// <summary>The consumer's log messages (event ids 7000-7099).</summary>
internal static partial class ConsumerLog
{
    [LoggerMessage(7000, LogLevel.Information, "Consumer {Consumer} reading stream {Stream} after sequence {Cursor} ({Source})")]
    public static partial void Started(ILogger logger, string consumer, string stream, ulong cursor, string source);

    [LoggerMessage(7001, LogLevel.Warning, "Consumer {Consumer}: stream sequences {First}..{Last} ({Count}) left the stream before they were read")]
    public static partial void Gap(ILogger logger, string consumer, ulong first, ulong last, ulong count);

    [LoggerMessage(7002, LogLevel.Warning, "Consumer {Consumer}: handler failed on stream sequence {Sequence} (attempt {Attempt}), retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, string consumer, ulong sequence, int attempt, TimeSpan delay, Exception exception);

    [LoggerMessage(7003, LogLevel.Error, "Consumer {Consumer}: gave up on stream sequence {Sequence} ({Subject}) after {Attempts} attempts: {Status}")]
    public static partial void GaveUp(ILogger logger, string consumer, ulong sequence, string subject, int attempts, string status, Exception exception);

    [LoggerMessage(7004, LogLevel.Warning, "Consumer {Consumer}: the cursor held back could not be written on stop; events since the last write will be handled again")]
    public static partial void FlushFailed(ILogger logger, string consumer, Exception exception);
}
