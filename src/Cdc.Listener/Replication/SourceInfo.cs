using Cdc.Decoding;

namespace Cdc.Listener.Replication;

/// <summary>What the startup checks learned about the source server and the slot.</summary>
public sealed record SourceInfo(
    int ServerVersionNum,
    string Database,
    Lsn ConfirmedFlushLsn,
    bool SlotCreated,
    bool PublicationCreated,
    IReadOnlyList<string> UnkeyedTables)
{
    /// <summary>The newest pgoutput protocol this server speaks: PG14 2, PG15 3, PG16+ 4, else 1.</summary>
    public int MaxProtocolVersion => ServerVersionNum switch
    {
        >= 160000 => 4,
        >= 150000 => 3,
        >= 140000 => 2,
        _ => 1,
    };
}
