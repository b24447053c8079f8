using System.Buffers;
using System.Text.Json;

namespace Cdc.Listener.Formats;

/// <summary>
/// CloudEvents structured mode: one <c>application/cloudevents+json</c> document whose <c>data</c> is the event's
/// proto3 JSON (<c>datacontenttype</c> <c>application/json</c>).
/// </summary>
internal sealed class CloudEventsStructuredFormat : EventFormat
{
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly string _source;
    private readonly ArrayBufferWriter<byte> _data = new(4096);
    private readonly ArrayBufferWriter<byte> _output = new(4096);

    public CloudEventsStructuredFormat(IReadOnlyList<KeyValuePair<string, string>> common, string source)
    {
        _headers = WithContentType(common, ContentTypes.CloudEventsJson);
        _source = source;
    }

    public override ReadOnlySpan<byte> Format(ReadOnlySpan<byte> protobuf, in EventContext context, out IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        headers = _headers;
        _data.ResetWrittenCount();
        ProtoJson.Write(context.Kind, protobuf, _data);
        _output.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_output);
        writer.WriteStartObject();
        writer.WriteString("specversion"u8, CloudEventAttributes.SpecVersion);
        writer.WriteString("id"u8, context.MessageId);
        writer.WriteString("source"u8, _source);
        writer.WriteString("type"u8, CloudEventAttributes.Type(context));
        writer.WriteString("subject"u8, CloudEventAttributes.Subject(context));
        writer.WriteString("time"u8, CloudEventAttributes.Time(context.CommitTimeMicros));
        writer.WriteString("datacontenttype"u8, ContentTypes.Json);
        writer.WritePropertyName("data"u8);
        writer.WriteRawValue(_data.WrittenSpan, skipInputValidation: true);
        writer.WriteEndObject();
        writer.Flush();
        return _output.WrittenSpan;
    }
}
