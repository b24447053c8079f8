using System.Buffers;

namespace Cdc.Listener.Formats;

/// <summary><c>Cdc:Format = json</c>: the proto3 JSON mapping of the same <c>cdc.v1</c> messages.</summary>
internal sealed class JsonFormat(IReadOnlyList<KeyValuePair<string, string>> common) : EventFormat
{
    private readonly KeyValuePair<string, string>[] _headers = WithContentType(common, ContentTypes.Json);
    private readonly ArrayBufferWriter<byte> _output = new(4096);

    public override ReadOnlySpan<byte> Format(ReadOnlySpan<byte> protobuf, in EventContext context, out IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        headers = _headers;
        _output.ResetWrittenCount();
        ProtoJson.Write(context.Kind, protobuf, _output);
        return _output.WrittenSpan;
    }
}
