namespace Cdc.Listener.Source;

/// <summary>A publication as read from pg_publication.</summary>
/// <param name="Name">Publication name.</param>
/// <param name="Exists">False when no publication of that name exists.</param>
/// <param name="AllTables">FOR ALL TABLES.</param>
/// <param name="Operations">Published operations (insert, update, delete, truncate).</param>
/// <param name="TableCount">Tables the publication covers now.</param>
public sealed record PublicationState(string Name, bool Exists, bool AllTables, IReadOnlyList<string> Operations, long TableCount);
