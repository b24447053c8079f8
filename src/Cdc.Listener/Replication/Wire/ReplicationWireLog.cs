using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Replication.Wire;

internal static partial class ReplicationWireLog
{
    [LoggerMessage(1100, LogLevel.Information, "PostgreSQL: {Notice}")]
    public static partial void ServerNotice(ILogger logger, string notice);

    [LoggerMessage(1101, LogLevel.Debug, "Periodic standby status update failed: {Reason}")]
    public static partial void StatusUpdateFailed(ILogger logger, string reason);

    [LoggerMessage(1102, LogLevel.Debug, "Connected to PostgreSQL at {Endpoint} ({Transport})")]
    public static partial void Connected(ILogger logger, string endpoint, string transport);
}
