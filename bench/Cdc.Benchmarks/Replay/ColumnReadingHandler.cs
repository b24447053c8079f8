using Cdc.Decoding;

namespace Cdc.Benchmarks.Replay;

/// <summary>Reads every column's kind and raw bytes of every change, so the decoder cannot skip anything.</summary>
public sealed class ColumnReadingHandler : IChangeHandler
{
    private Tally _tally;

    public Tally Tally => _tally;

    public void Reset() => _tally = default;

    public void OnChange(ChangeItem change)
    {
        _tally.Rows++;
        if (change.NewRow is { } row)
        {
            Read(row);
        }

        if (change.OldRow is { } old)
        {
            Read(old);
        }
    }

    public void OnRelation(RelationInfo relation)
    {
    }

    private void Read(TupleData row)
    {
        for (var i = 0; i < row.ColumnCount; i++)
        {
            if (row.GetKind(i) is TupleValueKind.Null or TupleValueKind.UnchangedToast)
            {
                _tally.Nulls++;
                continue;
            }

            var raw = row.GetRaw(i);
            _tally.ValueBytes += raw.Length;
        }
    }
}
