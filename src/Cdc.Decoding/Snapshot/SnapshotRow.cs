namespace Cdc.Decoding.Snapshot;

/// <summary>
/// One row of a table snapshot as a <see cref="ChangeItem"/> of kind <see cref="ChangeKind.Read"/>, so the same
/// <see cref="ChangeEventEncoder"/> (and so the same value conversion per type OID) encodes it as a streamed change.
/// Reused row after row: the values are valid until the next row is read into it.
/// </summary>
public sealed class SnapshotRow
{
    private readonly ChangeItem _item;

    /// <param name="relation">The table's columns in COPY order, with their type OIDs and key flags.</param>
    /// <param name="consistentPoint">The slot's consistent point: commit and end LSN of every row.</param>
    public SnapshotRow(RelationInfo relation, Lsn consistentPoint)
    {
        ArgumentNullException.ThrowIfNull(relation);
        Relation = relation;
        _item = new ChangeItem
        {
            Kind = ChangeKind.Read,
            Relation = relation,
            CommitLsn = consistentPoint,
            EndLsn = consistentPoint,
            Lsn = consistentPoint,
            NewRow = Values,
        };
    }

    public RelationInfo Relation { get; }

    public int ColumnCount => Relation.Columns.Count;

    /// <summary>The row's values, binary send format (or null).</summary>
    public TupleData Values { get; } = new();

    /// <summary>The row as a change item numbered <paramref name="index"/> within its table's snapshot.</summary>
    public ChangeItem AsChange(int index)
    {
        _item.Index = index;
        _item.ByteSize = (int)Math.Min(int.MaxValue, Values.ValueBytes);
        return _item;
    }
}
