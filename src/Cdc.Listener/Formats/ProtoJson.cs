using System.Buffers;
using System.Text;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Formats;

/// <summary>
/// The proto3 JSON mapping of an event (Google.Protobuf's <see cref="JsonFormatter"/>): lowerCamelCase field names,
/// enums by name, 64-bit integers as decimal strings, bytes as base64, fields at their default value left out.
/// </summary>
internal static class ProtoJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    /// <summary>Parses <paramref name="protobuf"/> as the message <paramref name="kind"/> holds and appends its JSON (UTF-8).</summary>
    public static void Write(EventKind kind, ReadOnlySpan<byte> protobuf, IBufferWriter<byte> output)
    {
        IMessage message = kind == EventKind.Schema ? RelationEvent.Parser.ParseFrom(protobuf) : ChangeEvent.Parser.ParseFrom(protobuf);
        Encoding.UTF8.GetBytes(Formatter.Format(message), output);
    }
}
