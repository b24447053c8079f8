using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace Cdc.Sink.Connection;

/// <summary>Logs what NATS.Net reports about the connection (server URLs only, never credentials).</summary>
internal static class ConnectionEvents
{
    public static void Attach(NatsConnection connection, ILogger logger)
    {
        connection.ConnectionOpened += (_, e) =>
        {
            SinkLog.Connected(logger, ServerUrl.Redact(e.Message), connection.ServerInfo?.Name ?? string.Empty, connection.ServerInfo?.Version ?? string.Empty);
            return ValueTask.CompletedTask;
        };
        connection.ConnectionDisconnected += (_, e) =>
        {
            SinkLog.Disconnected(logger, ServerUrl.Redact(e.Message));
            return ValueTask.CompletedTask;
        };
        connection.ReconnectFailed += (_, e) =>
        {
            SinkLog.ReconnectFailed(logger, ServerUrl.Redact(e.Message));
            return ValueTask.CompletedTask;
        };
        connection.LameDuckModeActivated += (_, e) =>
        {
            SinkLog.LameDuck(logger, e.Uri?.ToString() ?? string.Empty);
            return ValueTask.CompletedTask;
        };
        connection.ServerError += (_, e) =>
        {
            SinkLog.ServerError(logger, e.Error?.ToString() ?? string.Empty);
            return ValueTask.CompletedTask;
        };
    }
}
