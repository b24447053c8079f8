namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>p</c> (protocol 3+, streaming and two_phase): the layout of Prepare, for a streamed transaction.</summary>
internal static class StreamPrepareMessage
{
    public static PrepareMessage Read(ref PgReader reader) => PrepareMessage.Read(ref reader);
}
