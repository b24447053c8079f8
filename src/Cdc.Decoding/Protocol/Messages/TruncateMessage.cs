namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>T</c>: [xid], Int32 nrels, Int8 options (1 CASCADE, 2 RESTART IDENTITY), Int32 relid per relation.</summary>
internal readonly record struct TruncateMessage(uint Xid, TruncateOptions Options, int RelationCount)
{
    /// <summary>Reads the header and fills <paramref name="relationIds"/> (grown when needed, after the count was checked).</summary>
    public static TruncateMessage Read(ref PgReader reader, bool streamed, ref uint[] relationIds)
    {
        var header = ReadHeader(ref reader, streamed);
        if (relationIds.Length < header.RelationCount)
        {
            relationIds = new uint[Math.Max(header.RelationCount, relationIds.Length * 2)];
        }

        for (var i = 0; i < header.RelationCount; i++)
        {
            relationIds[i] = reader.ReadUInt32();
        }

        reader.ExpectEnd();
        return header;
    }

    /// <summary>The fields before the relation ids; the count is checked against the bytes left.</summary>
    public static TruncateMessage ReadHeader(ref PgReader reader, bool streamed)
    {
        reader.ReadByte();
        var xid = streamed ? reader.ReadUInt32() : 0;
        var count = reader.ReadInt32();
        var options = reader.ReadByte();
        if (count < 0 || (long)count * 4 != reader.Remaining)
        {
            throw reader.Error($"relation count {count} does not match the {reader.Remaining} bytes left");
        }

        return new TruncateMessage(xid, (TruncateOptions)options, count);
    }
}
