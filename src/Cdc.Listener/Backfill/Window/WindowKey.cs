using System.Text;
using Cdc.Decoding;

namespace Cdc.Listener.Backfill.Window;

/// <summary>
/// A row's key as compared inside a watermark window: the key columns' bytes, each length-prefixed, in one string. A
/// streamed change carries its key in text or binary send format (<c>Cdc:Binary</c>); a chunk row's key is taken in the
/// same format, so equal keys give equal strings.
/// </summary>
internal static class WindowKey
{
    /// <summary>The key of a tuple at the given column positions; null when a key column is missing or unchanged TOAST.</summary>
    public static string? Of(TupleData tuple, int[] columns)
    {
        var builder = new StringBuilder(32);
        foreach (var index in columns)
        {
            if (index >= tuple.ColumnCount || tuple.GetKind(index) is TupleValueKind.Null or TupleValueKind.UnchangedToast)
            {
                return null;
            }

            Append(builder, tuple.GetRaw(index));
        }

        return builder.ToString();
    }

    /// <summary>The key from the key columns' text forms (as <c>column::text</c> returns them).</summary>
    public static string OfText(IReadOnlyList<string> values)
    {
        var builder = new StringBuilder(32);
        foreach (var value in values)
        {
            Append(builder, Encoding.UTF8.GetBytes(value));
        }

        return builder.ToString();
    }

    /// <summary>Positions of <paramref name="names"/> among the relation's columns; null when one is missing.</summary>
    public static int[]? Positions(RelationInfo relation, IReadOnlyList<string> names)
    {
        var positions = new int[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            positions[i] = -1;
            for (var c = 0; c < relation.Columns.Count; c++)
            {
                if (relation.Columns[c].Name == names[i])
                {
                    positions[i] = c;
                    break;
                }
            }

            if (positions[i] < 0)
            {
                return null;
            }
        }

        return positions;
    }

    private static void Append(StringBuilder builder, ReadOnlySpan<byte> bytes)
    {
        builder.Append(bytes.Length).Append(':');
        foreach (var b in bytes)
        {
            builder.Append((char)b);
        }
    }
}
