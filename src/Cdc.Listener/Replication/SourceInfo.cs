using Cdc.Decoding;

namespace Cdc.Listener.Replication;

/// <summary>What the startup checks learned about the source server and the slot; <see cref="Publications"/> are what the stream reads.</summary>
public sealed record SourceInfo(
    int ServerVersionNum,
    string Database,
    Lsn ConfirmedFlushLsn,
    bool SlotCreated,
    bool PublicationCreated,
    IReadOnlyList<string> UnkeyedTables,
    IReadOnlyList<string> Publications)
{
    /// <summary>The newest pgoutput protocol this server speaks: PG14 2, PG15 3, PG16+ 4, else 1.</summary>
    public int MaxProtocolVersion => PgOutputOptions.ProtocolVersionForServer(ServerVersionNum);
}
