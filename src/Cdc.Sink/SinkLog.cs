using Microsoft.Extensions.Logging;

namespace Cdc.Sink;

/// <summary>Source-generated logs of the sink. Event ids: 3000-3099 NATS, 3100-3199 JetStream, 3200-3299 batch writer.
/// Servers are logged without credentials.</summary>
internal static partial class SinkLog
{
    [LoggerMessage(3000, LogLevel.Information, "Connected to NATS {Server} ({ServerName}, version {Version})")]
    public static partial void Connected(ILogger logger, string server, string serverName, string version);

    [LoggerMessage(3002, LogLevel.Warning, "Lost the connection to NATS {Server}")]
    public static partial void Disconnected(ILogger logger, string server);

    [LoggerMessage(3004, LogLevel.Debug, "Reconnect to NATS {Server} failed")]
    public static partial void ReconnectFailed(ILogger logger, string server);

    [LoggerMessage(3005, LogLevel.Warning, "NATS sent -ERR '{Error}'")]
    public static partial void ServerError(ILogger logger, string error);

    [LoggerMessage(3007, LogLevel.Warning, "NATS {Server} entered lame duck mode; NATS.Net moves to another server")]
    public static partial void LameDuck(ILogger logger, string server);

    [LoggerMessage(3100, LogLevel.Information, "Created JetStream stream {Stream} (subjects {Subjects}, {Storage}, replicas {Replicas})")]
    public static partial void StreamCreated(ILogger logger, string stream, string subjects, string storage, int replicas);

    [LoggerMessage(3101, LogLevel.Information, "Updated JetStream stream {Stream}")]
    public static partial void StreamUpdated(ILogger logger, string stream);

    [LoggerMessage(3102, LogLevel.Debug, "JetStream stream {Stream} exists with the expected configuration")]
    public static partial void StreamUnchanged(ILogger logger, string stream);

    [LoggerMessage(3200, LogLevel.Error, "Message {MessageId} for {Subject} is {Size} bytes, over max_payload {MaxPayload}; policy {Policy}")]
    public static partial void MessageTooLarge(ILogger logger, string messageId, string subject, long size, long maxPayload, string policy);

    [LoggerMessage(3201, LogLevel.Warning, "Republishing {Count} unacknowledged messages in order after: {Reason}")]
    public static partial void Republishing(ILogger logger, int count, string reason);

    [LoggerMessage(3210, LogLevel.Information, "{Stored} of {Count} unacknowledged messages are in the stream already (newest {MessageId}, sequence {Sequence}): acknowledged from the stream, not republished")]
    public static partial void SettledFromStream(ILogger logger, int stored, int count, string messageId, ulong sequence);

    [LoggerMessage(3211, LogLevel.Warning, "Cannot read what the stream holds before republishing ({Reason}); trying again")]
    public static partial void StreamUnreadable(ILogger logger, string reason);

    [LoggerMessage(3212, LogLevel.Warning, "Cannot read what the stream holds before republishing ({Reason}); republishing everything unacknowledged")]
    public static partial void StreamUnreadableRepublishing(ILogger logger, string reason);

    [LoggerMessage(3202, LogLevel.Error, "Message {MessageId} for {Subject} failed permanently: {Reason}")]
    public static partial void PublishFailed(ILogger logger, string messageId, string subject, string reason);

    [LoggerMessage(3203, LogLevel.Warning, "Transient publish failure ({Reason}); retrying")]
    public static partial void TransientFailure(ILogger logger, string reason);

    [LoggerMessage(3204, LogLevel.Error, "The ack handler threw for message {MessageId}")]
    public static partial void AckHandlerFailed(ILogger logger, string messageId, Exception error);

    [LoggerMessage(3206, LogLevel.Error, "{Reason}")]
    public static partial void StorageFull(ILogger logger, string reason);

    [LoggerMessage(3207, LogLevel.Information, "JetStream stores messages again; delivering what was held")]
    public static partial void StorageAvailable(ILogger logger);

    [LoggerMessage(3205, LogLevel.Warning, "The batch writer stopped with {Count} messages unacknowledged; each is reported as failed (transient)")]
    public static partial void StoppedUnacknowledged(ILogger logger, int count);
}
