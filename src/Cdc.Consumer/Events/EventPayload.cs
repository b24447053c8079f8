using System.Text;
using System.Text.Json;
using Google.Protobuf;

namespace Cdc.Consumer.Events;

/// <summary>
/// Parses an event in whichever of Cdc's formats its <c>Content-Type</c> names: protobuf (no header, or
/// <c>application/protobuf</c>), the proto3 JSON mapping (<c>application/json</c>) or CloudEvents 1.0 structured mode
/// (<c>application/cloudevents+json</c>, the event in <c>data</c>). CloudEvents binary mode carries its data's own type.
/// A payload that is not what its type says is a <see cref="CdcDecodeException"/>.
/// </summary>
internal static class EventPayload
{
    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static T Parse<T>(MessageParser<T> parser, string? contentType, byte[] payload)
        where T : IMessage<T>, new()
    {
        if (contentType is null || contentType.StartsWith("application/protobuf", StringComparison.OrdinalIgnoreCase))
        {
            return parser.ParseFrom(payload);
        }

        try
        {
            if (contentType.StartsWith("application/cloudevents+json", StringComparison.OrdinalIgnoreCase))
            {
                using var document = JsonDocument.Parse(payload);
                return Json.Parse<T>(document.RootElement.GetProperty("data").GetRawText());
            }

            if (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return Json.Parse<T>(Encoding.UTF8.GetString(payload));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidJsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CdcDecodeException($"not the {typeof(T).Name} its Content-Type '{contentType}' says: {e.Message}", e);
        }

        throw new CdcDecodeException($"Content-Type '{contentType}' is not one of Cdc's formats");
    }
}
