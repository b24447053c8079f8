using System.Globalization;
using System.Text;
using Cdc.V1;
using Google.Protobuf;
using Spectre.Console;

namespace Cdc.Listener.Cli;

/// <summary>
/// How <c>cdc tail</c> prints a change: one human line (sequence, commit time, operation, table,
/// key, changed columns) in Spectre markup, or one JSON line.
/// </summary>
internal static class ChangeLine
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    public static string OperationName(Operation operation) => operation switch
    {
        Operation.Insert => "insert",
        Operation.Update => "update",
        Operation.Delete => "delete",
        Operation.Truncate => "truncate",
        Operation.Message => "message",
        _ => "unknown",
    };

    public static string Human(ulong sequence, ChangeEvent change)
    {
        var (color, label) = change.Operation switch
        {
            Operation.Insert => ("green", "INSERT"),
            Operation.Update => ("yellow", "UPDATE"),
            Operation.Delete => ("red", "DELETE"),
            Operation.Truncate => ("magenta", "TRUNC "),
            Operation.Message => ("blue", "MSG   "),
            _ => ("grey", "?     "),
        };
        var time = DateTimeOffset.UnixEpoch.AddTicks(change.CommitTimeUs * 10).ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        var line = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"[grey]#{sequence,-7} {time}[/] [{color} bold]{label}[/]");
        if (change.Operation == Operation.Message)
        {
            var content = change.Message?.Content.ToStringUtf8() ?? string.Empty;
            line.Append(' ').Append(Markup.Escape(change.Message?.Prefix ?? string.Empty)).Append(": ").Append(Markup.Escape(ValueText.Format(new Value { Text = content })));
            return line.ToString();
        }

        line.Append(CultureInfo.InvariantCulture, $" [bold]{Markup.Escape(change.Schema)}.{Markup.Escape(change.Table)}[/]");
        if (change.Operation == Operation.Truncate)
        {
            line.Append(change.TruncateCascade ? " [grey]cascade[/]" : string.Empty).Append(change.TruncateRestartIdentity ? " [grey]restart identity[/]" : string.Empty);
            return line.ToString();
        }

        var key = Key(change);
        if (key.Length > 0)
        {
            line.Append(' ').Append(key);
        }

        // A whole old row (REPLICA IDENTITY FULL) shows each changed value as before→after.
        var old = change.Operation == Operation.Update && change.OldRowFull ? change.OldRow.ToDictionary(c => c.Name, c => c.Value) : null;
        foreach (var column in ChangedColumns(change))
        {
            line.Append(' ').Append(Markup.Escape(column.Name)).Append("[grey]=[/]");
            if (old is not null && old.TryGetValue(column.Name, out var before))
            {
                line.Append("[grey]").Append(Markup.Escape(ValueText.Format(before))).Append("→[/]");
            }

            line.Append(Markup.Escape(ValueText.Format(column.Value)));
        }

        return line.ToString();
    }

    /// <summary>One JSON object per line: the stream sequence, the subject and the event (protobuf JSON mapping).</summary>
    public static string JsonLine(ulong sequence, string subject, ChangeEvent change)
    {
        var builder = new StringBuilder(512);
        builder.Append(CultureInfo.InvariantCulture, $"{{\"seq\":{sequence},\"subject\":");
        builder.Append(System.Text.Json.JsonSerializer.Serialize(subject, TailJsonContext.Default.String));
        builder.Append(",\"event\":").Append(Json.Format(change)).Append('}');
        return builder.ToString();
    }

    /// <summary>
    /// The key as <c>[id=5]</c>: from the new row, or the old row for a delete. With REPLICA IDENTITY
    /// FULL the server flags every column as key: there is no narrower key to show, so a delete shows
    /// the whole old row and an insert or update shows its columns instead.
    /// </summary>
    private static string Key(ChangeEvent change)
    {
        var row = change.Operation == Operation.Delete || change.NewRow.Count == 0 ? change.OldRow : change.NewRow;
        if (!HasNarrowKey(change) && change.Operation != Operation.Delete)
        {
            return string.Empty;
        }

        var keys = change.KeyColumns.Count > 0 && HasNarrowKey(change) ? row.Where(c => change.KeyColumns.Contains(c.Name)) : row;
        var parts = keys.Select(c => $"{Markup.Escape(c.Name)}={Markup.Escape(ValueText.Format(c.Value))}").ToList();
        return parts.Count == 0 ? "[grey][[no key]][/]" : "[cyan][[" + string.Join(' ', parts) + "]][/]";
    }

    private static bool HasNarrowKey(ChangeEvent change)
    {
        var columns = Math.Max(change.NewRow.Count, change.OldRow.Count);
        return change.KeyColumns.Count > 0 && change.KeyColumns.Count < columns;
    }

    /// <summary>
    /// Insert: every non-key column. Update: the columns that differ from the old row when the table
    /// sends it whole (REPLICA IDENTITY FULL), else every non-key column sent. Delete: none.
    /// Unchanged TOAST values are never shown: they were not sent.
    /// </summary>
    private static IEnumerable<Column> ChangedColumns(ChangeEvent change)
    {
        if (change.Operation == Operation.Delete)
        {
            return [];
        }

        var narrowKey = HasNarrowKey(change);
        var columns = change.NewRow.Where(c => c.Value?.KindCase != Value.KindOneofCase.UnchangedToast && !(narrowKey && change.KeyColumns.Contains(c.Name)));
        if (change.Operation == Operation.Update && change.OldRowFull)
        {
            var old = change.OldRow.ToDictionary(c => c.Name, c => c.Value);
            columns = columns.Where(c => !old.TryGetValue(c.Name, out var before) || !Equals(before, c.Value));
        }

        return columns;
    }
}
