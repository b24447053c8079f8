namespace Cdc.Decoding.Values;

/// <summary>A PostgreSQL built-in type: its OID, name, conversion kind, and the related type
/// (element type of an array, subtype of a range, range type of a multirange; 0 otherwise).</summary>
public readonly record struct BuiltinType(uint Oid, string Name, PgValueKind Kind, uint RelatedOid);
