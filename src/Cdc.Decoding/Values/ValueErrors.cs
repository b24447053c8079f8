namespace Cdc.Decoding.Values;

/// <summary>Builds the exception for a value whose bytes do not match its type's format.</summary>
internal static class ValueErrors
{
    public static PgOutputException Malformed(string typeName, string detail)
        => new($"Malformed {typeName} value: {detail}");

    public static PgOutputException Malformed(PgValueKind kind, string detail)
        => Malformed(kind.ToString().ToLowerInvariant(), detail);
}
