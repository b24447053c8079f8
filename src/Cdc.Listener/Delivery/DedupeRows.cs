using System.Buffers;
using System.Buffers.Binary;
using Cdc.Decoding;

namespace Cdc.Listener.Delivery;

/// <summary>Reads a change's <see cref="DedupeRow"/>: its replica identity key columns (kind and bytes) before and after.</summary>
internal static class DedupeRows
{
    /// <param name="change">An insert, update or delete.</param>
    /// <param name="table">The table's name as the dedupe keys spell it.</param>
    /// <param name="scratch">Reused room for the key bytes.</param>
    public static DedupeRow Of(ChangeItem change, string table, ArrayBufferWriter<byte> scratch)
    {
        var relation = change.Relation!;
        if (relation.KeyColumnNames.Count == 0)
        {
            return DedupeRow.None;
        }

        if (change.Kind == ChangeKind.Delete)
        {
            return KeyOf(change.OldRow, null, relation, table, scratch) is { } deleted ? DedupeRow.Keyed(deleted) : DedupeRow.Undetermined(table);
        }

        // A key column sent as unchanged TOAST has the old tuple's value, when the server sent one.
        if (KeyOf(change.NewRow, change.OldRow, relation, table, scratch) is not { } key)
        {
            return DedupeRow.Undetermined(table);
        }

        var hasUnchangedToast = HasUnchangedToast(change.NewRow!);
        if (change.OldRow is null)
        {
            return DedupeRow.Keyed(key, hasUnchangedToast);
        }

        // An old key ('K') comes only when a key column changed; a full old row ('O') always: compare.
        return KeyOf(change.OldRow, null, relation, table, scratch) switch
        {
            null => DedupeRow.Undetermined(table),
            { } previous when previous != key => DedupeRow.KeyChanged(previous, key, hasUnchangedToast),
            _ => DedupeRow.Keyed(key, hasUnchangedToast),
        };
    }

    /// <summary>The key of a tuple, or null when a key column has no value here nor in <paramref name="fallback"/>.</summary>
    private static DedupeKey? KeyOf(TupleData? tuple, TupleData? fallback, RelationInfo relation, string table, ArrayBufferWriter<byte> scratch)
    {
        var columns = relation.Columns;
        if (tuple is null || tuple.ColumnCount != columns.Count)
        {
            return null;
        }

        scratch.ResetWrittenCount();
        for (var i = 0; i < columns.Count; i++)
        {
            if (!columns[i].IsKey)
            {
                continue;
            }

            var source = tuple;
            if (source.IsUnchangedToast(i))
            {
                source = fallback is not null && fallback.ColumnCount == columns.Count && !fallback.IsUnchangedToast(i) ? fallback : null;
                if (source is null)
                {
                    return null;
                }
            }

            var raw = source.GetRaw(i);
            var header = scratch.GetSpan(5);
            header[0] = (byte)source.GetKind(i);
            BinaryPrimitives.WriteInt32BigEndian(header[1..], raw.Length);
            scratch.Advance(5);
            scratch.Write(raw);
        }

        return DedupeKey.FromBytes(table, scratch.WrittenSpan);
    }

    private static bool HasUnchangedToast(TupleData tuple)
    {
        for (var i = 0; i < tuple.ColumnCount; i++)
        {
            if (tuple.IsUnchangedToast(i))
            {
                return true;
            }
        }

        return false;
    }
}
