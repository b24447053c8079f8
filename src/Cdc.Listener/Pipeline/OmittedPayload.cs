using System.Text.Json.Nodes;
using Cdc.Listener.Formats;
using Cdc.Sink;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// What the headers of a change published without its payload (Cdc:Nats:OversizePolicy reference) say about it: the
/// table, the operation and the row key (<c>Cdc-Key</c>, JSON: column name to its value in proto3 JSON), so a consumer
/// can read the row from PostgreSQL. Runs only for an oversize message, never on the hot path.
/// </summary>
internal static class OmittedPayload
{
    /// <summary>Past this, the key is left out (<c>Cdc-Key-Omitted</c>): a header must stay well under max_payload.</summary>
    internal const int MaxKeyLength = 4096;

    public static IReadOnlyList<KeyValuePair<string, string>> Describe(OutboundMessage message)
    {
        var contentType = ContentTypeOf(message);
        if (contentType is not (ContentTypes.ChangeEvent or ContentTypes.Json or ContentTypes.CloudEventsJson)
            || message.Subject.EndsWith(RelationSubjects.SchemaSuffix, StringComparison.Ordinal))
        {
            return [];
        }

        ChangeEvent change;
        try
        {
            change = ChangeEventReader.Read(contentType, message.Payload.Span);
        }
        catch (FormatException)
        {
            return [];
        }

        var headers = new List<KeyValuePair<string, string>>(3)
        {
            new("Cdc-Table", change.Schema + "." + change.Table),
            new("Cdc-Operation", change.Operation.ToString()),
        };
        var row = change.Operation == Operation.Delete ? change.OldRow : change.NewRow;
        var key = new JsonObject();
        foreach (var name in change.KeyColumns)
        {
            var column = row.FirstOrDefault(c => c.Name == name);
            key[name] = column?.Value is { } value ? JsonNode.Parse(JsonFormatter.Default.Format(value)) : null;
        }

        var text = key.ToJsonString();
        headers.Add(change.KeyColumns.Count == 0
            ? new("Cdc-Key-Omitted", "the table has no key (replica identity nothing or full without a primary key)")
            : text.Length <= MaxKeyLength ? new("Cdc-Key", text) : new("Cdc-Key-Omitted", $"the key is {text.Length} characters, over {MaxKeyLength}"));
        return headers;
    }

    private static string? ContentTypeOf(OutboundMessage message)
    {
        foreach (var header in message.Headers ?? [])
        {
            if (string.Equals(header.Key, ContentTypes.Header, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }
}
