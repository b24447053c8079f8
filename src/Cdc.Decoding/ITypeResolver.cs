namespace Cdc.Decoding;

/// <summary>
/// Looks up a type OID that is not built in (a user type: enum, domain, composite, array of those, range).
/// The listener implements it from pg_type. Called on the decoding thread when a Relation message names a
/// column of such a type, and by value conversion for nested types; implementations should cache.
/// </summary>
public interface ITypeResolver
{
    /// <summary>
    /// The type's description, or null when it is unknown (the value is then passed on as text or raw bytes). The
    /// decoder keeps the answer for the session, so an implementation that cannot tell (its catalog is unreachable)
    /// should throw rather than answer null; the exception goes to the caller of the decoder unchanged.
    /// </summary>
    PgTypeInfo? Resolve(uint typeOid);
}
