namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>O</c>: Int64 commit LSN on the origin server, String origin name. Follows Begin (or a first Stream Start).</summary>
internal readonly record struct OriginMessage(Lsn OriginLsn, string Name)
{
    public static OriginMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var message = new OriginMessage(reader.ReadLsn(), reader.ReadString());
        reader.ExpectEnd();
        return message;
    }
}
