using Cdc.Listener.Configuration;

namespace Cdc.Listener.Formats;

/// <summary>
/// Turns an event's protobuf bytes into what is published (<c>Cdc:Format</c>) and names its headers. One instance per
/// replication session; not thread-safe.
/// </summary>
internal abstract class EventFormat
{
    /// <summary>
    /// Returns the payload to publish (the protobuf bytes themselves or a formatted copy valid until the next call) and
    /// the headers to send after <c>Nats-Msg-Id</c>, <c>Content-Type</c> always among them.
    /// </summary>
    public abstract ReadOnlySpan<byte> Format(ReadOnlySpan<byte> protobuf, in EventContext context, out IReadOnlyList<KeyValuePair<string, string>> headers);

    /// <param name="baseHeaders">Headers every message carries (e.g. <c>Nats-Expected-Stream</c>).</param>
    public static EventFormat Create(CdcOptions options, string database, IReadOnlyList<KeyValuePair<string, string>>? baseHeaders)
    {
        ArgumentNullException.ThrowIfNull(options);
        var common = baseHeaders ?? [];
        var source = $"/cdc/{database}/{options.Slot}";
        return options.Format.ToLowerInvariant() switch
        {
            "protobuf" => new ProtobufFormat(common),
            "json" => new JsonFormat(common),
            "cloudevents" when string.Equals(options.CloudEvents.Mode, "binary", StringComparison.OrdinalIgnoreCase)
                => new CloudEventsBinaryFormat(common, source, jsonData: string.Equals(options.CloudEvents.DataFormat, "json", StringComparison.OrdinalIgnoreCase)),
            "cloudevents" => new CloudEventsStructuredFormat(common, source),
            _ => throw new CdcConfigurationException($"Cdc:Format = '{options.Format}' is not accepted: one of protobuf, json, cloudevents"),
        };
    }

    /// <summary>The common headers followed by <c>Content-Type</c>.</summary>
    protected static KeyValuePair<string, string>[] WithContentType(IReadOnlyList<KeyValuePair<string, string>> common, string contentType)
    {
        var headers = new KeyValuePair<string, string>[common.Count + 1];
        for (var i = 0; i < common.Count; i++)
        {
            headers[i] = common[i];
        }

        headers[^1] = new(ContentTypes.Header, contentType);
        return headers;
    }
}
