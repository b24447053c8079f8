namespace Cdc.Decoding;

/// <summary>
/// One decoded change of a committed transaction: a row insert, update or delete, one truncated table, or a
/// logical message. Reused by <see cref="ChangeDecoder"/>: valid only during <see cref="IChangeHandler.OnChange"/>.
/// </summary>
public sealed class ChangeItem
{
    public ChangeKind Kind { get; internal set; }

    /// <summary>The table; null for <see cref="ChangeKind.Message"/>.</summary>
    public RelationInfo? Relation { get; internal set; }

    /// <summary>Top-level transaction id (0 for a non-transactional message).</summary>
    public uint Xid { get; internal set; }

    /// <summary>LSN of the commit record (Begin.final_lsn / Commit.commit_lsn).</summary>
    public Lsn CommitLsn { get; internal set; }

    /// <summary>LSN just past the commit record: the slot position once this transaction is delivered.</summary>
    public Lsn EndLsn { get; internal set; }

    /// <summary>Commit time, microseconds since the Unix epoch (UTC).</summary>
    public long CommitTimeMicros { get; internal set; }

    /// <summary>Position of this change in its transaction, from 0 without gaps.</summary>
    public int Index { get; internal set; }

    /// <summary>True on the transaction's last change.</summary>
    public bool IsLast { get; internal set; }

    /// <summary>Row after an insert or update; null otherwise.</summary>
    public TupleData? NewRow { get; internal set; }

    /// <summary>
    /// Row before an update or delete: the key columns (<c>K</c>, other columns null) or, with REPLICA IDENTITY
    /// FULL, the whole row (<c>O</c>, <see cref="OldRowIsFull"/>). Null when the server sent no old tuple.
    /// </summary>
    public TupleData? OldRow { get; internal set; }

    public bool OldRowIsFull { get; internal set; }

    /// <summary><see cref="ChangeKind.Truncate"/> only.</summary>
    public TruncateOptions TruncateOptions { get; internal set; }

    /// <summary><see cref="ChangeKind.Message"/> only.</summary>
    public LogicalMessage? Message { get; internal set; }

    /// <summary>Replication origin of the transaction (Origin message), when it has one.</summary>
    public string? Origin { get; internal set; }

    /// <summary>Global transaction id of a prepared transaction (two-phase), when it was one.</summary>
    public string? Gid { get; internal set; }

    /// <summary>Size of the pgoutput message that carried this change (a Truncate's size is shared by its tables).</summary>
    public int ByteSize { get; internal set; }

    /// <summary>LSN of the change's own WAL record, when the server sent one (0/0 otherwise).</summary>
    public Lsn Lsn { get; internal set; }

    public override string ToString() => $"{Kind} {Relation} #{Index}{(IsLast ? " last" : string.Empty)} end {EndLsn}";
}
