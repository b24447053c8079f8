using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cdc.Listener.Backfill.Window;

/// <summary>
/// A request to backfill one table, sent as a transactional logical decoding message with prefix
/// <see cref="Prefix"/>, from <c>cdc backfill</c> or any SQL session:
/// <c>SELECT pg_logical_emit_message(true, 'cdc.backfill', '{"table":"public.orders","where":"id &gt; 100"}')</c>.
/// A message rather than a signal table: it needs no table in the user's schema and no publication change, it reaches
/// Cdc through the slot it already reads (in commit order, so only a committed request counts), and an unacknowledged
/// request comes back after a crash like any change. PostgreSQL 14+ with <c>Cdc:Messages</c> on.
/// </summary>
internal sealed record BackfillSignal(string Schema, string Table, string? Where)
{
    public const string Prefix = "cdc.backfill";

    public string QualifiedName => Schema + "." + Table;

    /// <summary>The message content for a request.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Body { Table = QualifiedName, Where = Where }, SignalJsonContext.Default.Body);

    /// <summary>Parses a request; <paramref name="error"/> says what is wrong with one that is not.</summary>
    public static BackfillSignal? TryParse(ReadOnlySpan<byte> content, out string? error)
    {
        Body? body;
        try
        {
            body = JsonSerializer.Deserialize(content, SignalJsonContext.Default.Body);
        }
        catch (JsonException e)
        {
            error = "the content is not JSON like {\"table\":\"schema.table\",\"where\":\"...\"}: " + e.Message;
            return null;
        }

        if (body?.Table is not { Length: > 0 } table)
        {
            error = "no \"table\" in the content";
            return null;
        }

        return TryCreate(table, body.Where, out error);
    }

    /// <summary>Checks a table name given as schema.table and a predicate.</summary>
    public static BackfillSignal? TryCreate(string table, string? where, out string? error)
    {
        var dot = table.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == table.Length - 1 || table.IndexOf('.', dot + 1) >= 0)
        {
            error = $"table '{table}' is not schema.table (for example public.orders)";
            return null;
        }

        where = string.IsNullOrWhiteSpace(where) ? null : where.Trim();
        if (where is not null && where.Contains(';', StringComparison.Ordinal))
        {
            error = $"the predicate '{where}' holds a ';': give one boolean expression, without a statement separator";
            return null;
        }

        error = null;
        return new BackfillSignal(table[..dot], table[(dot + 1)..], where);
    }

    internal sealed class Body
    {
        [JsonPropertyName("table")]
        public string? Table { get; set; }

        [JsonPropertyName("where")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Where { get; set; }
    }
}

[JsonSerializable(typeof(BackfillSignal.Body))]
internal sealed partial class SignalJsonContext : JsonSerializerContext;
