namespace Cdc.Listener.Delivery;

/// <summary>
/// What the <see cref="DedupeBuffer"/> needs to know of a queued message's row: the key it may be coalesced
/// under, the key the row had before when an update moved it, whether its key could be determined at all, and
/// whether the change left TOASTed columns out (so an older pending change may hold their values).
/// </summary>
public readonly record struct DedupeRow
{
    private DedupeRow(DedupeKey? key, DedupeKey? previousKey, string? undeterminedTable, bool hasUnchangedToast)
    {
        Key = key;
        PreviousKey = previousKey;
        UndeterminedTable = undeterminedTable;
        HasUnchangedToast = hasUnchangedToast;
    }

    /// <summary>Not a row change (truncate, schema, logical message) or a table without a key: never coalesced.</summary>
    public static DedupeRow None => default;

    /// <summary>The row's key after the change.</summary>
    public DedupeKey? Key { get; }

    /// <summary>The row's key before an update that changed it: consumers must learn that this key is gone.</summary>
    public DedupeKey? PreviousKey { get; }

    /// <summary>Set when the row's key could not be determined (key columns sent as unchanged TOAST): its table.</summary>
    public string? UndeterminedTable { get; }

    /// <summary>Some column was sent as unchanged TOAST (no value).</summary>
    public bool HasUnchangedToast { get; }

    public static DedupeRow Keyed(DedupeKey key, bool hasUnchangedToast = false) => new(key, null, null, hasUnchangedToast);

    public static DedupeRow KeyChanged(DedupeKey previousKey, DedupeKey key, bool hasUnchangedToast = false)
        => new(key, previousKey, null, hasUnchangedToast);

    public static DedupeRow Undetermined(string table) => new(null, null, table, false);
}
