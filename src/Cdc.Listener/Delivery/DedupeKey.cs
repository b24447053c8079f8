namespace Cdc.Listener.Delivery;

/// <summary>Identifies a row for the dedupe buffer: the table and its replica identity key (compared ordinally).</summary>
public readonly record struct DedupeKey(string Table, string Key)
{
    /// <summary>A key from raw key bytes (for example the encoded key columns).</summary>
    public static DedupeKey FromBytes(string table, ReadOnlySpan<byte> key) => new(table, Convert.ToHexString(key));
}
