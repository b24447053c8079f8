using Cdc.Decoding;

namespace Cdc.Listener.Source;

/// <summary>
/// What the read-only start-up checks found: every check passed, and what <see cref="SourceSetup.PrepareAsync"/>
/// will create. Nothing exists in PostgreSQL because of Cdc until then.
/// </summary>
/// <param name="ServerVersionNum">server_version_num, e.g. 150004.</param>
/// <param name="Database">The database of the connection.</param>
/// <param name="Publication">The publication found, or the ones to create.</param>
/// <param name="SlotConfirmedFlushLsn">The existing slot's confirmed flush LSN; null when the slot will be created.</param>
/// <param name="UnkeyedTables">Tables of an existing publication whose updates and deletes cannot be keyed.</param>
public sealed record SourcePlan(int ServerVersionNum, string Database, PublicationPlan Publication, Lsn? SlotConfirmedFlushLsn, IReadOnlyList<string> UnkeyedTables)
{
    /// <summary>The slot does not exist yet: this is the first start on this slot.</summary>
    public bool CreatesSlot => SlotConfirmedFlushLsn is null;
}
