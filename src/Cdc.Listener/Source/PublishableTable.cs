namespace Cdc.Listener.Source;

/// <summary>
/// A table a publication can list (permanent, ordinary or partitioned root), whether its updates and deletes can be
/// keyed (primary key, REPLICA IDENTITY USING INDEX or FULL) and whether the current role owns it.
/// </summary>
public sealed record PublishableTable(string Schema, string Name, bool Keyed, bool Owned)
{
    public string QualifiedName => Schema + "." + Name;

    public string Quoted => SourceSetup.Quote(Schema) + "." + SourceSetup.Quote(Name);
}
