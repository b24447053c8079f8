namespace Cdc.Listener.Source;

/// <summary>
/// What the start-up checks found for the publication, and what Cdc will create: nothing when it exists, else
/// <see cref="Name"/> for the tables with a key and <see cref="InsertsName"/> (inserts and truncates only) for those
/// without one.
/// </summary>
/// <param name="Name">Cdc:Publication.</param>
/// <param name="InsertsName">Cdc:Publication with <c>_inserts</c>: the tables without a key.</param>
/// <param name="Exists">The publication exists: Cdc uses it as it is.</param>
/// <param name="InsertsExists">The inserts-only companion exists too: the stream reads both.</param>
/// <param name="Keyed">Tables of a publication Cdc creates whose every change is published.</param>
/// <param name="Keyless">Tables of a publication Cdc creates whose inserts (and truncates) only are published.</param>
public sealed record PublicationPlan(
    string Name,
    string InsertsName,
    bool Exists,
    bool InsertsExists,
    IReadOnlyList<PublishableTable> Keyed,
    IReadOnlyList<PublishableTable> Keyless)
{
    /// <summary>Tables created after Cdc created the publications, in neither of them: their changes are not captured.</summary>
    public IReadOnlyList<PublishableTable> Uncovered { get; init; } = [];

    /// <summary>The FOR TABLE entries with a column list or row filter (Cdc:ExcludeColumns, Cdc:RowFilters), by schema.table.</summary>
    public IReadOnlyDictionary<string, string> Entries { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public bool Creates => !Exists;

    /// <summary>The publications the replication stream reads (pgoutput's <c>publication_names</c>).</summary>
    public IReadOnlyList<string> StreamPublications => Exists
        ? InsertsExists ? [Name, InsertsName] : [Name]
        : Keyless.Count > 0 || InsertsExists ? [Name, InsertsName] : [Name];
}
