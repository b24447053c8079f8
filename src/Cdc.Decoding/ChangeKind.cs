namespace Cdc.Decoding;

/// <summary>What a <see cref="ChangeItem"/> describes.</summary>
public enum ChangeKind : byte
{
    Insert = 1,
    Update = 2,
    Delete = 3,

    /// <summary>One truncated table (a TRUNCATE of several tables gives one item per table).</summary>
    Truncate = 4,

    /// <summary>A logical decoding message (<c>pg_logical_emit_message</c>, PostgreSQL 14+).</summary>
    Message = 5,

    /// <summary>A row read by a snapshot (not from the WAL): its state as of the snapshot's consistent point.</summary>
    Read = 6,
}
