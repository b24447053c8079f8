using Cdc.Decoding;

namespace Cdc.Listener.Source;

/// <summary>
/// What the startup checks learned about the source server and the slot; <see cref="Publications"/> are what the stream
/// reads. <see cref="SnapshotPending"/>: the slot does not exist yet and is to be created by the initial snapshot.
/// </summary>
public sealed record SourceInfo(
    int ServerVersionNum,
    string Database,
    Lsn ConfirmedFlushLsn,
    bool SlotCreated,
    bool PublicationCreated,
    IReadOnlyList<string> UnkeyedTables,
    IReadOnlyList<string> Publications,
    bool SnapshotPending = false)
{
    /// <summary>The newest pgoutput protocol this server speaks: PG14 2, PG15 3, PG16+ 4, else 1.</summary>
    public int MaxProtocolVersion => PgOutputOptions.ProtocolVersionForServer(ServerVersionNum);
}
