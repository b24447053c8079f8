using System.Buffers;
using System.Buffers.Binary;

namespace Cdc.Decoding.Snapshot;

/// <summary>
/// Parses the output of <c>COPY ... TO STDOUT (FORMAT binary)</c> into snapshot rows: the 19-byte header (signature,
/// flags, extension area), then per row an Int16 field count and per field an Int32 length (-1 = NULL) and the value
/// in its binary send format, the format pgoutput's binary mode uses; the trailer is a field count of -1.
/// See https://www.postgresql.org/docs/current/sql-copy.html (Binary Format).
/// </summary>
/// <remarks>
/// Feed it with <see cref="TryReadRow"/> until it returns false, then advance the buffer to the position it gives. A
/// row is filled into <see cref="SnapshotRow.Values"/>, whose values are valid until the next read.
/// </remarks>
public sealed class CopyBinaryRows(int maxValueBytes = 1 << 30)
{
    private static ReadOnlySpan<byte> Signature => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0];

    private bool _headerRead;

    /// <summary>Whether the trailer was read: the COPY is complete.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>
    /// Reads the next whole row (or the header and the trailer on the way) from <paramref name="buffer"/>.
    /// Returns false when the buffer ends before a whole row or the COPY is complete; <paramref name="consumed"/> is
    /// where the next call must start.
    /// </summary>
    /// <exception cref="PgOutputException">The bytes are not a binary COPY of <paramref name="row"/>'s column count.</exception>
    public bool TryReadRow(ReadOnlySequence<byte> buffer, SnapshotRow row, out SequencePosition consumed)
    {
        ArgumentNullException.ThrowIfNull(row);
        var reader = new SequenceReader<byte>(buffer);
        consumed = buffer.Start;
        if (!_headerRead)
        {
            if (!TryReadHeader(ref reader))
            {
                return false;
            }

            _headerRead = true;
            consumed = reader.Position;
        }

        if (IsComplete || !reader.TryReadBigEndian(out short fields))
        {
            return false;
        }

        if (fields == -1)
        {
            IsComplete = true;
            consumed = reader.Position;
            return false;
        }

        if (fields != row.ColumnCount)
        {
            throw new PgOutputException($"A binary COPY row has {fields} fields; the table {row.Relation} has {row.ColumnCount} columns.");
        }

        row.Values.Reset(fields);
        for (var i = 0; i < fields; i++)
        {
            if (!reader.TryReadBigEndian(out int length))
            {
                return false;
            }

            if (length == -1)
            {
                row.Values.Set(i, TupleValueKind.Null, ReadOnlyMemory<byte>.Empty);
                continue;
            }

            if (length < 0 || length > maxValueBytes)
            {
                throw new PgOutputException($"A binary COPY value of {row.Relation} column {i} has length {length} (at most {maxValueBytes}).");
            }

            if (reader.Remaining < length)
            {
                return false;
            }

            var value = reader.UnreadSequence.Slice(0, length);
            if (value.IsSingleSegment)
            {
                row.Values.Set(i, TupleValueKind.Binary, value.First);
            }
            else
            {
                var copy = row.Values.Copies.Rent(length);
                value.CopyTo(copy.Span);
                row.Values.Set(i, TupleValueKind.Binary, copy);
            }

            reader.Advance(length);
        }

        consumed = reader.Position;
        return true;
    }

    private static bool TryReadHeader(ref SequenceReader<byte> reader)
    {
        if (reader.Remaining < Signature.Length + 8)
        {
            return false;
        }

        Span<byte> signature = stackalloc byte[11];
        reader.TryCopyTo(signature);
        if (!signature.SequenceEqual(Signature))
        {
            throw new PgOutputException("The COPY output does not start with the binary COPY signature.");
        }

        reader.Advance(signature.Length);
        reader.TryReadBigEndian(out int flags);
        if ((flags & (1 << 16)) != 0)
        {
            throw new PgOutputException("The binary COPY output carries OIDs, which Cdc does not ask for.");
        }

        reader.TryReadBigEndian(out int extension);
        if (extension < 0 || reader.Remaining < extension)
        {
            return false;
        }

        reader.Advance(extension);
        return true;
    }
}
