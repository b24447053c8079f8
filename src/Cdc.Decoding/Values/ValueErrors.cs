namespace Cdc.Decoding.Values;

/// <summary>
/// Builds the exception for a value whose bytes do not match its type's format. The message names the type and
/// the problem, never the value's bytes: row data must not reach logs. The encoder adds the column, table and LSN.
/// </summary>
internal static class ValueErrors
{
    public static PgOutputException Malformed(string typeName, string detail)
        => new($"Malformed {typeName} value: {detail}");

    public static PgOutputException Malformed(PgValueKind kind, string detail)
        => Malformed(kind.ToString().ToLowerInvariant(), detail);

    /// <summary>A problem in a value's text or bytes: gives its length instead of quoting it.</summary>
    public static PgOutputException Malformed(string typeName, string detail, ReadOnlySpan<byte> value)
        => Malformed(typeName, $"{detail} (value of {value.Length} bytes)");

    /// <summary>A container value (array, range, composite) nested deeper than the decoder follows.</summary>
    public static PgOutputException TooDeep(string typeName, int maxDepth)
        => Malformed(typeName, $"nested more than {maxDepth} levels deep");
}
