using Cdc.Decoding.Protocol;

namespace Cdc.Decoding;

/// <summary>
/// The column values of one row as sent in a pgoutput TupleData: per column its kind and raw bytes
/// (text output or binary send format). Reused by the decoder without allocating per column; the
/// bytes point into the decoder's buffers and are valid only during <see cref="IChangeHandler.OnChange"/>.
/// </summary>
public sealed class TupleData
{
    private TupleValueKind[] _kinds = new TupleValueKind[16];
    private ReadOnlyMemory<byte>[] _values = new ReadOnlyMemory<byte>[16];

    public int ColumnCount { get; private set; }

    /// <summary>Room for values that span buffer segments.</summary>
    internal CopyBuffer Copies { get; } = new();

    public TupleValueKind GetKind(int index)
    {
        CheckIndex(index);
        return _kinds[index];
    }

    /// <summary>The value's bytes (empty for null and unchanged TOAST).</summary>
    public ReadOnlySpan<byte> GetRaw(int index)
    {
        CheckIndex(index);
        return _values[index].Span;
    }

    /// <summary>The value's bytes as memory, for consumers that need to hold them across an await (still only during the call).</summary>
    public ReadOnlyMemory<byte> GetRawMemory(int index)
    {
        CheckIndex(index);
        return _values[index];
    }

    public bool IsNull(int index) => GetKind(index) == TupleValueKind.Null;

    public bool IsUnchangedToast(int index) => GetKind(index) == TupleValueKind.UnchangedToast;

    /// <summary>Sum of the value lengths.</summary>
    public long ValueBytes
    {
        get
        {
            long total = 0;
            for (var i = 0; i < ColumnCount; i++)
            {
                total += _values[i].Length;
            }

            return total;
        }
    }

    /// <summary>Empties the tuple and makes room for <paramref name="columnCount"/> columns.</summary>
    internal void Reset(int columnCount)
    {
        if (_kinds.Length < columnCount)
        {
            var size = Math.Max(columnCount, _kinds.Length * 2);
            _kinds = new TupleValueKind[size];
            _values = new ReadOnlyMemory<byte>[size];
        }
        else
        {
            // Drop references to the previous message's buffers.
            _values.AsSpan(0, ColumnCount).Clear();
        }

        ColumnCount = columnCount;
        Copies.Reset();
    }

    internal void Set(int index, TupleValueKind kind, ReadOnlyMemory<byte> value)
    {
        _kinds[index] = kind;
        _values[index] = value;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)ColumnCount)
        {
            ThrowIndexOutOfRange(index, ColumnCount);
        }
    }

    /// <summary>Kept out of <see cref="CheckIndex"/> so the check inlines into the per-column getters.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowIndexOutOfRange(int index, int columnCount)
        => throw new ArgumentOutOfRangeException(nameof(index), index, $"The tuple has {columnCount} columns.");
}
