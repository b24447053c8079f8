using Microsoft.Extensions.Logging;

namespace Cdc.Listener;

/// <summary>Source-generated log messages of the listener (event ids 1000-1999).</summary>
internal static partial class ListenerLog
{
    [LoggerMessage(1000, LogLevel.Information, "Created publication {Publication} for the {Count} tables with a key: their inserts, updates, deletes and truncates are captured. Tables created later are not in it until added (ALTER PUBLICATION ... ADD TABLE)")]
    public static partial void PublicationCreated(ILogger logger, string publication, int count);

    [LoggerMessage(1001, LogLevel.Information, "Created replication slot {Slot} at {Lsn}")]
    public static partial void SlotCreated(ILogger logger, string slot, string lsn);

    [LoggerMessage(1002, LogLevel.Warning, "Table {Table} has no primary key or replica identity: its updates and deletes cannot be keyed (ALTER TABLE ... REPLICA IDENTITY FULL or add a primary key)")]
    public static partial void UnkeyedTable(ILogger logger, string table);

    [LoggerMessage(1003, LogLevel.Information, "Replicating slot {Slot} from {Lsn} (PostgreSQL {Version}, pgoutput v{Protocol}, streaming {Streaming}, binary {Binary})")]
    public static partial void ReplicationStarted(ILogger logger, string slot, string lsn, string version, int protocol, bool streaming, bool binary);

    [LoggerMessage(1004, LogLevel.Warning, "Replication interrupted: {Reason}; reconnecting in {DelaySeconds:0.000}s")]
    public static partial void Reconnecting(ILogger logger, string reason, double delaySeconds);

    [LoggerMessage(1005, LogLevel.Information, "Slot {Slot} is in use by another process (pid {Pid}): standing by, retrying in {DelaySeconds:0.000}s")]
    public static partial void SlotBusy(ILogger logger, string slot, int? pid, double delaySeconds);

    [LoggerMessage(1006, LogLevel.Debug, "Confirmed flush LSN {Lsn}")]
    public static partial void FlushConfirmed(ILogger logger, string lsn);

    [LoggerMessage(1007, LogLevel.Information, "Stopped; final confirmed flush LSN {Lsn}")]
    public static partial void Stopped(ILogger logger, string lsn);

    [LoggerMessage(1008, LogLevel.Warning, "Shutdown: {Pending} chunks still unacknowledged after {Timeout}; they will be replayed on the next start")]
    public static partial void ShutdownAcksTimedOut(ILogger logger, int pending, TimeSpan timeout);

    [LoggerMessage(1009, LogLevel.Critical, "{Reason}")]
    public static partial void Fatal(ILogger logger, string reason);

    [LoggerMessage(1010, LogLevel.Debug, "Skipping transaction {EndLsn}: already delivered (at or below {Confirmed})")]
    public static partial void SkippedReplayed(ILogger logger, string endLsn, string confirmed);

    [LoggerMessage(1011, LogLevel.Error, "Duplicate acknowledgement of a chunk of transaction {EndLsn}")]
    public static partial void DuplicateAck(ILogger logger, string endLsn);

    [LoggerMessage(1012, LogLevel.Warning, "{Reason}; retrying in {DelaySeconds:0.000}s")]
    public static partial void StartRetry(ILogger logger, string reason, double delaySeconds);

    [LoggerMessage(1013, LogLevel.Warning, "Waiting for the sink to acknowledge {Transactions} transactions ({Chunks} chunks, {Bytes} bytes) before resuming")]
    public static partial void Draining(ILogger logger, int transactions, int chunks, long bytes);

    [LoggerMessage(1015, LogLevel.Warning, "Table {Table} has no primary key or replica identity: Cdc put it in publication {InsertsPublication}, which publishes inserts and truncates only, so the application's updates and deletes on it keep working but are not captured. To capture them: ALTER TABLE {Quoted} REPLICA IDENTITY FULL (or add a primary key), then ALTER PUBLICATION {InsertsPublication} DROP TABLE {Quoted}; ALTER PUBLICATION {Publication} ADD TABLE {Quoted};")]
    public static partial void InsertsOnlyTable(ILogger logger, string table, string insertsPublication, string quoted, string publication);

    [LoggerMessage(1016, LogLevel.Information, "Created publication {Publication} (inserts and truncates only) for the {Count} tables without a key")]
    public static partial void InsertsPublicationCreated(ILogger logger, string publication, int count);

    [LoggerMessage(1017, LogLevel.Warning, "Table {Table} is in none of the publications Cdc created (it was created later): its changes are not captured. To capture them: ALTER PUBLICATION {Publication} ADD TABLE {Quoted};")]
    public static partial void UncoveredTable(ILogger logger, string table, string publication, string quoted);

    [LoggerMessage(1014, LogLevel.Warning, "Cdc:StatusInterval ({IntervalSeconds} s) is not below the server's wal_sender_timeout ({TimeoutSeconds} s): while the sink holds the stream back, the server may drop the session. Lower Cdc:StatusInterval")]
    public static partial void StatusIntervalTooLong(ILogger logger, double intervalSeconds, double timeoutSeconds);

    [LoggerMessage(1015, LogLevel.Information, "Replication connection to system {SystemId}, timeline {Timeline}, WAL at {XLogPos} (PostgreSQL {Version})")]
    public static partial void ReplicationConnected(ILogger logger, string systemId, uint timeline, string xLogPos, string version);

    [LoggerMessage(1016, LogLevel.Warning, "Cdc:Connection: 'Keepalive' applies to the setup connections only: the replication connection is kept alive by its status updates (Cdc:StatusInterval) and Cdc:ReceiverTimeout")]
    public static partial void KeepaliveIgnoredForReplication(ILogger logger);

    [LoggerMessage(1040, LogLevel.Information, "Stream holds slot {Slot} through {NewestEnd} (newest message {MessageId}), past the slot's confirmed {Confirmed}: what the server sends again up to there is skipped")]
    public static partial void ResumingFromStream(ILogger logger, string slot, string newestEnd, string messageId, string confirmed);

    [LoggerMessage(1041, LogLevel.Warning, "Slot {Slot} was missing although the stream holds changes streamed from it through {From}; created anew at {To} (Cdc:AllowSlotGap): changes committed in between are lost, a gap event says so on {Subject}")]
    public static partial void SlotGap(ILogger logger, string slot, string from, string to, string subject);

    [LoggerMessage(1042, LogLevel.Warning, "Heartbeat not written: {Reason}")]
    public static partial void HeartbeatFailed(ILogger logger, string reason);

    [LoggerMessage(1044, LogLevel.Warning, "The stream's newest message of slot {Slot} came from PostgreSQL system {Stored}, this server is system {Server}: streaming from it anyway (Cdc:AllowSystemChange); the stream's positions are not used")]
    public static partial void SystemChanged(ILogger logger, string slot, string stored, string server);

    [LoggerMessage(1045, LogLevel.Information, "Stream {Stream}'s newest message of slot {Slot} ({MessageId}) carries no Cdc-System-Id (written before Cdc kept it): continuing it from PostgreSQL system {Server}, whose identifier its new messages carry")]
    public static partial void SystemAdopted(ILogger logger, string stream, string slot, string messageId, string server);

    [LoggerMessage(1043, LogLevel.Warning, "Heartbeats are off: they need PostgreSQL 14+ and Cdc:Messages = true (Cdc:Heartbeat:Interval = 00:00:00 turns them off without this warning)")]
    public static partial void HeartbeatUnavailable(ILogger logger);

    [LoggerMessage(1090, LogLevel.Warning, "Could not read the slot and publication from the catalog to classify a server error (retrying as transient): {Reason}")]
    public static partial void CatalogUnreadable(ILogger logger, string reason);
}
