using System.Text;
using System.Text.Json;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Formats;

/// <summary>Reads a published <c>ChangeEvent</c> back in whichever <c>Cdc:Format</c> wrote it, by its <c>Content-Type</c>.</summary>
internal static class ChangeEventReader
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>Parses the payload; no <c>Content-Type</c> (a stream written before formats existed) means protobuf.</summary>
    /// <exception cref="FormatException">The payload is not a change event in the format its header names.</exception>
    public static ChangeEvent Read(string? contentType, ReadOnlySpan<byte> payload) => Read(ChangeEvent.Parser, contentType, payload);

    /// <summary>Any <c>cdc.v1</c> event (a schema event, say) read the same way.</summary>
    /// <exception cref="FormatException">The payload is not a <typeparamref name="T"/> in the format its header names.</exception>
    public static T Read<T>(MessageParser<T> parser, string? contentType, ReadOnlySpan<byte> payload)
        where T : IMessage<T>, new()
    {
        try
        {
            return contentType switch
            {
                ContentTypes.Json => Parser.Parse<T>(Encoding.UTF8.GetString(payload)),
                ContentTypes.CloudEventsJson => FromCloudEvent<T>(payload),
                // CloudEvents binary mode with JSON data says application/json above; with protobuf data, as protobuf.
                _ => parser.ParseFrom(payload),
            };
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or JsonException or KeyNotFoundException)
        {
            throw new FormatException($"not a {new T().Descriptor.FullName} as {contentType ?? "protobuf"} ({e.Message})", e);
        }
    }

    private static T FromCloudEvent<T>(ReadOnlySpan<byte> payload)
        where T : IMessage<T>, new()
    {
        var reader = new Utf8JsonReader(payload);
        using var document = JsonDocument.ParseValue(ref reader);
        return Parser.Parse<T>(document.RootElement.GetProperty("data").GetRawText());
    }
}
