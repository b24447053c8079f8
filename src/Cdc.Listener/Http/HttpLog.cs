using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Http;

/// <summary>Source-generated log messages of the status endpoint (event ids 6000-6099).</summary>
internal static partial class HttpLog
{
    [LoggerMessage(6000, LogLevel.Information, "Status endpoint on {Url} (/status, /metrics, /healthz, /readyz)")]
    public static partial void Listening(ILogger logger, string url);

    [LoggerMessage(6001, LogLevel.Information, "Status endpoint is off (Cdc:Http:Listen = off)")]
    public static partial void Off(ILogger logger);

    [LoggerMessage(6002, LogLevel.Debug, "Could not read slot {Slot} for the status endpoint: {Reason}")]
    public static partial void SlotReadFailed(ILogger logger, string slot, string reason);
}
