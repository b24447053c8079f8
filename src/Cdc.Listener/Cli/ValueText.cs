using System.Globalization;
using System.Text;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Cli;

/// <summary>A column value as a person reads it on one line: SQL-like literals, long values cut short.</summary>
internal static class ValueText
{
    private const int MaxLength = 48;

    public static string Format(Value? value)
    {
        var text = value?.KindCase switch
        {
            null or Value.KindOneofCase.None => "?",
            Value.KindOneofCase.Null => "NULL",
            Value.KindOneofCase.UnchangedToast => "(unchanged)",
            Value.KindOneofCase.Bool => value.Bool ? "true" : "false",
            Value.KindOneofCase.Int => value.Int.ToString(CultureInfo.InvariantCulture),
            Value.KindOneofCase.Float => value.Float.ToString("R", CultureInfo.InvariantCulture),
            Value.KindOneofCase.Numeric => value.Numeric,
            Value.KindOneofCase.Money => value.Money.ToString(CultureInfo.InvariantCulture),
            Value.KindOneofCase.Text => Quote(value.Text),
            Value.KindOneofCase.Json => value.Json,
            Value.KindOneofCase.Tsvector => Quote(value.Tsvector),
            Value.KindOneofCase.Bits => "B'" + value.Bits + "'",
            Value.KindOneofCase.Bytes => "\\x" + Convert.ToHexStringLower(value.Bytes.Span),
            Value.KindOneofCase.Uuid when value.Uuid.Length == 16 => new Guid(value.Uuid.Span, bigEndian: true).ToString(),
            Value.KindOneofCase.TimestamptzUs => Timestamp(value.TimestamptzUs, "yyyy-MM-dd HH:mm:ss.FFFFFFzzz"),
            Value.KindOneofCase.TimestampUs => Timestamp(value.TimestampUs, "yyyy-MM-dd HH:mm:ss.FFFFFF"),
            Value.KindOneofCase.Date => value.Date is int.MaxValue or int.MinValue
                ? (value.Date > 0 ? "infinity" : "-infinity")
                : DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + value.Date).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Value.KindOneofCase.TimeUs => TimeSpan.FromMicroseconds(value.TimeUs).ToString(@"hh\:mm\:ss\.FFFFFF", CultureInfo.InvariantCulture),
            _ => JsonFormatter.Default.Format(value),
        };
        return Cut(text);
    }

    private static string Timestamp(long micros, string format) => micros switch
    {
        long.MaxValue => "infinity",
        long.MinValue => "-infinity",
        _ => DateTimeOffset.UnixEpoch.AddTicks(micros * 10).ToString(format, CultureInfo.InvariantCulture),
    };

    private static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>One line: control characters escaped, long values cut with an ellipsis.</summary>
    private static string Cut(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxLength + 1));
        foreach (var c in text)
        {
            if (builder.Length >= MaxLength)
            {
                return builder.Append('…').ToString();
            }

            _ = c switch
            {
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                _ when char.IsControl(c) => builder.Append('?'),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }
}
