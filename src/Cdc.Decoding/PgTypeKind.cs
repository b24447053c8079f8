namespace Cdc.Decoding;

/// <summary>pg_type.typtype, plus arrays (typcategory 'A') told apart from base types.</summary>
public enum PgTypeKind : byte
{
    Base = 0,
    Enum = 1,
    Domain = 2,
    Composite = 3,
    Array = 4,
    Range = 5,
    Multirange = 6,
    Pseudo = 7,
}
