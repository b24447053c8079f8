namespace Cdc.Decoding;

/// <summary>One field of a composite type (pg_attribute of its typrelid).</summary>
public sealed record PgCompositeField(string Name, uint TypeOid, int TypeModifier);

/// <summary>
/// What pg_type says about a type that is not built in; produced by an <see cref="ITypeResolver"/>.
/// </summary>
/// <param name="Oid">The type OID.</param>
/// <param name="Namespace">Schema of the type.</param>
/// <param name="Name">typname.</param>
/// <param name="Kind">Enum, domain, composite, array, range, multirange or base.</param>
public sealed record PgTypeInfo(uint Oid, string Namespace, string Name, PgTypeKind Kind)
{
    /// <summary>Arrays: the element type (typelem); 0 otherwise.</summary>
    public uint ElementOid { get; init; }

    /// <summary>Domains: the base type (typbasetype); 0 otherwise.</summary>
    public uint BaseOid { get; init; }

    /// <summary>Domains: the base type's modifier (typtypmod), -1 when none.</summary>
    public int BaseTypeModifier { get; init; } = -1;

    /// <summary>Ranges and multiranges: the subtype (pg_range.rngsubtype); 0 otherwise.</summary>
    public uint SubtypeOid { get; init; }

    /// <summary>Composites: the fields in order; empty otherwise.</summary>
    public IReadOnlyList<PgCompositeField> Fields { get; init; } = [];
}
