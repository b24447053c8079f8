namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>S</c> (protocol 2+): Int32 xid, Int8 first segment (1 on the transaction's first block).</summary>
internal readonly record struct StreamStartMessage(uint Xid, bool FirstSegment)
{
    public static StreamStartMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var message = new StreamStartMessage(reader.ReadUInt32(), reader.ReadByte() == 1);
        reader.ExpectEnd();
        return message;
    }
}
