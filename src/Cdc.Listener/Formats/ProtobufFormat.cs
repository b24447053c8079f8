namespace Cdc.Listener.Formats;

/// <summary>The default: the encoder's protobuf bytes as they are, with one shared header list per message type.</summary>
internal sealed class ProtobufFormat(IReadOnlyList<KeyValuePair<string, string>> common) : EventFormat
{
    private readonly KeyValuePair<string, string>[] _changeHeaders = WithContentType(common, ContentTypes.ChangeEvent);
    private readonly KeyValuePair<string, string>[] _schemaHeaders = WithContentType(common, ContentTypes.RelationEvent);
    private readonly KeyValuePair<string, string>[] _snapshotHeaders = WithContentType(common, ContentTypes.SnapshotEvent);
    private readonly KeyValuePair<string, string>[] _gapHeaders = WithContentType(common, ContentTypes.GapEvent);

    public override ReadOnlySpan<byte> Format(ReadOnlySpan<byte> protobuf, in EventContext context, out IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        headers = context.Kind switch
        {
            EventKind.Schema => _schemaHeaders,
            EventKind.Snapshot => _snapshotHeaders,
            EventKind.Gap => _gapHeaders,
            _ => _changeHeaders,
        };
        return protobuf;
    }
}
