using System.Text.Json;

namespace Cdc.Listener.Outbox;

/// <summary>The headers Cdc puts on every outbox message, and the application's own from the row.</summary>
public static class OutboxHeaders
{
    /// <summary>schema.table of the outbox table: how a consumer tells an outbox message from a change event.</summary>
    public const string Table = "Cdc-Outbox-Table";

    /// <summary>The row id (Debezium <c>id</c>, egress <c>batch_id</c>).</summary>
    public const string Id = "Cdc-Outbox-Id";

    public const string AggregateType = "Cdc-Outbox-Aggregate-Type";

    public const string AggregateId = "Cdc-Outbox-Aggregate-Id";

    public const string Type = "Cdc-Outbox-Type";

    /// <summary>Position of the message in its egress batch, from 0.</summary>
    public const string Index = "Cdc-Outbox-Index";

    /// <summary>Commit LSN of the transaction that inserted the row (<c>X/Y</c>).</summary>
    public const string CommitLsn = "Cdc-Commit-Lsn";

    /// <summary>Transaction id of the transaction that inserted the row.</summary>
    public const string Xid = "Cdc-Xid";

    public const string ContentType = "Content-Type";

    /// <summary>
    /// Adds the application's headers (a JSON object: string values as they are, others as JSON text), except names
    /// Cdc sets itself or that steer JetStream's deduplication and expectations.
    /// </summary>
    internal static void AddApplicationHeaders(List<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> json)
    {
        using var document = Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new OutboxRowException($"headers is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object of header names to values");
        }

        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (IsReserved(property.Name, headers))
            {
                continue;
            }

            var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            headers.Add(new(property.Name, value));
        }
    }

    internal static void AddApplicationHeaders(List<KeyValuePair<string, string>> headers, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        foreach (var pair in pairs)
        {
            if (!IsReserved(pair.Key, headers))
            {
                headers.Add(pair);
            }
        }
    }

    private static JsonDocument Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new OutboxRowException($"headers is not valid JSON: {e.Message}");
        }
    }

    private static bool IsReserved(string name, List<KeyValuePair<string, string>> set)
    {
        if (name.Equals("Nats-Msg-Id", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Nats-Expected-", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var header in set)
        {
            if (header.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
