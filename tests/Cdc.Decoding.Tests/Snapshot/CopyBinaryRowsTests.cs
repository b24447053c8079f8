using System.Buffers;
using System.Buffers.Binary;
using Cdc.Decoding.Snapshot;
using Cdc.Testing;
using Cdc.V1;

namespace Cdc.Decoding.Tests.Snapshot;

/// <summary>
/// Binary COPY output becomes read events typed like streamed changes, whatever the buffer boundaries, and bad bytes
/// fail with a message instead of an index error.
/// </summary>
public sealed class CopyBinaryRowsTests
{
    private static readonly RelationInfo Table = SnapshotRelation.Build(16384, "public", "items", ReplicaIdentity.Default,
        [new("id", 23, -1, true), new("name", 25, -1, false), new("v", 20, -1, false)], types: null);

    /// <summary>Header, two rows (the second with a NULL), trailer, as PostgreSQL writes them.</summary>
    private static byte[] Copy(bool withTrailer = true)
    {
        var bytes = new List<byte>();
        bytes.AddRange("PGCOPY\n"u8.ToArray());
        bytes.AddRange([0xFF, (byte)'\r', (byte)'\n', 0]);
        bytes.AddRange(Int32(0));
        bytes.AddRange(Int32(0));
        AddRow(bytes, Int32(7), "seven"u8.ToArray(), Int64(-3));
        AddRow(bytes, Int32(8), null, Int64(long.MaxValue));
        if (withTrailer)
        {
            bytes.AddRange([0xFF, 0xFF]);
        }

        return [.. bytes];
    }

    private static void AddRow(List<byte> bytes, params byte[]?[] fields)
    {
        bytes.AddRange([0, (byte)fields.Length]);
        foreach (var field in fields)
        {
            bytes.AddRange(Int32(field?.Length ?? -1));
            bytes.AddRange(field ?? []);
        }
    }

    private static byte[] Int32(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        return b;
    }

    private static byte[] Int64(long value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        return b;
    }

    /// <summary>Feeds the bytes growing one at a time, as a pipe would, and encodes every row read.</summary>
    private static (List<ChangeEvent> Events, bool Complete) ReadGrowing(byte[] copy, bool segmentPerByte)
    {
        var parser = new CopyBinaryRows();
        var row = new SnapshotRow(Table, new Lsn(0x1000));
        var encoder = new ChangeEventEncoder();
        var events = new List<ChangeEvent>();
        var start = 0;
        for (var end = 0; end <= copy.Length; end++)
        {
            var buffer = segmentPerByte ? Segments.PerByte(copy.AsSpan(start, end - start)) : new ReadOnlySequence<byte>(copy, start, end - start);
            while (true)
            {
                var more = parser.TryReadRow(buffer, row, out var consumed);
                var used = (int)buffer.Slice(0, consumed).Length;
                start += used;
                buffer = buffer.Slice(used);
                if (!more)
                {
                    break;
                }

                var writer = new ArrayBufferWriter<byte>();
                encoder.Encode(row.AsChange(events.Count), "db", writer);
                events.Add(ChangeEvent.Parser.ParseFrom(writer.WrittenSpan));
            }
        }

        return (events, parser.IsComplete);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_prefix_and_segmentation_gives_the_same_two_read_events(bool segmentPerByte)
    {
        var (events, complete) = ReadGrowing(Copy(), segmentPerByte);

        Assert.True(complete);
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(Operation.Read, e.Operation));
        Assert.All(events, e => Assert.Equal(0x1000UL, e.EndLsn));
        Assert.Equal([0u, 1u], events.Select(e => e.Index));
        Assert.Equal(["id"], events[0].KeyColumns);
        Assert.Equal(7, events[0].NewRow[0].Value.Int);
        Assert.Equal("seven", events[0].NewRow[1].Value.Text);
        Assert.Equal(-3, events[0].NewRow[2].Value.Int);
        Assert.True(events[1].NewRow[1].Value.Null);
        Assert.Equal(long.MaxValue, events[1].NewRow[2].Value.Int);
    }

    [Fact]
    public void Without_its_trailer_the_copy_is_not_complete()
    {
        var (events, complete) = ReadGrowing(Copy(withTrailer: false), segmentPerByte: false);

        Assert.Equal(2, events.Count);
        Assert.False(complete);
    }

    [Fact]
    public void A_row_with_another_column_count_is_refused_naming_the_table()
    {
        var bytes = Copy();
        bytes[19 + 1] = 2; // first row's field count
        var e = Assert.Throws<PgOutputException>(() => new CopyBinaryRows().TryReadRow(new ReadOnlySequence<byte>(bytes), new SnapshotRow(Table, new Lsn(1)), out _));
        Assert.Contains("public.items", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_copy_output_is_refused()
    {
        var e = Assert.Throws<PgOutputException>(() => new CopyBinaryRows().TryReadRow(
            new ReadOnlySequence<byte>("1\tseven\t-3\n1\tseven\t-3\n"u8.ToArray()), new SnapshotRow(Table, new Lsn(1)), out _));
        Assert.Contains("signature", e.Message, StringComparison.Ordinal);
    }
}
