namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>E</c> (protocol 2+): no fields.</summary>
internal readonly record struct StreamStopMessage
{
    public static StreamStopMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        reader.ExpectEnd();
        return default;
    }
}
