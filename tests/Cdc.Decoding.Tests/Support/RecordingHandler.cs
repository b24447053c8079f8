using System.Text;

namespace Cdc.Decoding.Tests.Support;

/// <summary>A copy of a <see cref="ChangeItem"/> (which is only valid during the call).</summary>
public sealed record ChangeSnapshot(
    ChangeKind Kind,
    string? Table,
    uint Xid,
    Lsn EndLsn,
    int Index,
    bool IsLast,
    string[]? NewRow,
    string[]? OldRow,
    bool OldRowIsFull,
    TruncateOptions TruncateOptions,
    string? MessagePrefix,
    string? MessageContent,
    bool MessageTransactional,
    string? Origin,
    string? Gid);

/// <summary>Collects decoded changes; values are written <c>n</c>, <c>u</c>, <c>t:text</c> or <c>b:hex</c>.</summary>
public sealed class RecordingHandler : IChangeHandler
{
    public List<ChangeSnapshot> Changes { get; } = [];

    public List<RelationInfo> Relations { get; } = [];

    public void OnChange(ChangeItem change)
        => Changes.Add(new ChangeSnapshot(change.Kind, change.Relation is null ? null : $"{change.Relation.Namespace}.{change.Relation.Name}",
            change.Xid, change.EndLsn, change.Index, change.IsLast, Values(change.NewRow), Values(change.OldRow), change.OldRowIsFull,
            change.TruncateOptions, change.Message?.Prefix, change.Message is null ? null : Encoding.UTF8.GetString(change.Message.Content.Span),
            change.Message?.Transactional ?? false, change.Origin, change.Gid));

    public void OnRelation(RelationInfo relation) => Relations.Add(relation);

    public static string[]? Values(TupleData? tuple)
    {
        if (tuple is null)
        {
            return null;
        }

        var values = new string[tuple.ColumnCount];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = tuple.GetKind(i) switch
            {
                TupleValueKind.Null => "n",
                TupleValueKind.UnchangedToast => "u",
                TupleValueKind.Text => "t:" + Encoding.UTF8.GetString(tuple.GetRaw(i)),
                _ => "b:" + Convert.ToHexString(tuple.GetRaw(i)),
            };
        }

        return values;
    }
}
