using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Formats;

/// <summary>
/// The proto3 JSON mapping of an event, as Google.Protobuf's <see cref="JsonFormatter"/> defines it: lowerCamelCase
/// field names, enums by name, 64-bit integers as decimal strings, bytes as base64, fields at their default value
/// left out. Change events are written directly (<see cref="ChangeEventJson"/>); schema events, rare, by the formatter.
/// </summary>
internal static class ProtoJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    // Text stays readable UTF-8; quotes, backslashes and control characters are still escaped.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Parses <paramref name="protobuf"/> as the message <paramref name="kind"/> holds and appends its JSON (UTF-8).</summary>
    public static void Write(EventKind kind, ReadOnlySpan<byte> protobuf, IBufferWriter<byte> output)
    {
        if (kind == EventKind.Schema)
        {
            Encoding.UTF8.GetBytes(Formatter.Format(RelationEvent.Parser.ParseFrom(protobuf)), output);
            return;
        }

        if (kind == EventKind.Snapshot)
        {
            Encoding.UTF8.GetBytes(Formatter.Format(SnapshotEvent.Parser.ParseFrom(protobuf)), output);
            return;
        }

        if (kind == EventKind.Gap)
        {
            Encoding.UTF8.GetBytes(Formatter.Format(GapEvent.Parser.ParseFrom(protobuf)), output);
            return;
        }

        using var writer = new Utf8JsonWriter(output, Options);
        ChangeEventJson.Write(writer, ChangeEvent.Parser.ParseFrom(protobuf));
    }
}
