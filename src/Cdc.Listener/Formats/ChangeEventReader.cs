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
    public static ChangeEvent Read(string? contentType, ReadOnlySpan<byte> payload)
    {
        try
        {
            return contentType switch
            {
                ContentTypes.Json => Parser.Parse<ChangeEvent>(Encoding.UTF8.GetString(payload)),
                ContentTypes.CloudEventsJson => FromCloudEvent(payload),
                _ => ChangeEvent.Parser.ParseFrom(payload),
            };
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or JsonException or KeyNotFoundException)
        {
            throw new FormatException($"not a cdc.v1.ChangeEvent as {contentType ?? "protobuf"} ({e.Message})", e);
        }
    }

    private static ChangeEvent FromCloudEvent(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        using var document = JsonDocument.ParseValue(ref reader);
        return Parser.Parse<ChangeEvent>(document.RootElement.GetProperty("data").GetRawText());
    }
}
