using System.Buffers;

namespace Cdc.Listener.Formats;

/// <summary>
/// CloudEvents binary mode: the attributes as <c>ce-*</c> headers, the payload the event itself as proto3 JSON or
/// protobuf (<c>Cdc:CloudEvents:DataFormat</c>), its <c>Content-Type</c> saying which.
/// </summary>
internal sealed class CloudEventsBinaryFormat(IReadOnlyList<KeyValuePair<string, string>> common, string source, bool jsonData) : EventFormat
{
    private const int AttributeCount = 7;

    private readonly ArrayBufferWriter<byte> _output = new(4096);

    public override ReadOnlySpan<byte> Format(ReadOnlySpan<byte> protobuf, in EventContext context, out IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var list = new KeyValuePair<string, string>[common.Count + AttributeCount];
        var i = 0;
        for (; i < common.Count; i++)
        {
            list[i] = common[i];
        }

        list[i++] = new(ContentTypes.Header, jsonData ? ContentTypes.Json : ContentTypes.Protobuf(context.Kind));
        list[i++] = new("ce-specversion", CloudEventAttributes.SpecVersion);
        list[i++] = new("ce-id", context.MessageId);
        list[i++] = new("ce-source", source);
        list[i++] = new("ce-type", CloudEventAttributes.Type(context));
        list[i++] = new("ce-subject", CloudEventAttributes.Subject(context));
        list[i] = new("ce-time", CloudEventAttributes.Time(context.CommitTimeMicros));
        headers = list;
        if (!jsonData)
        {
            return protobuf;
        }

        _output.ResetWrittenCount();
        ProtoJson.Write(context.Kind, protobuf, _output);
        return _output.WrittenSpan;
    }
}
