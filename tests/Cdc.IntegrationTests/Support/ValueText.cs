using System.Globalization;
using Cdc.V1;

namespace Cdc.IntegrationTests.Support;

/// <summary>Renders a decoded value the way the tests' SELECTs render the same column (see each test's query).</summary>
public static class ValueText
{
    public static string? Render(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.Null => null,
        Value.KindOneofCase.UnchangedToast => "<unchanged>",
        Value.KindOneofCase.Bool => value.Bool ? "true" : "false",
        Value.KindOneofCase.Int => value.Int.ToString(CultureInfo.InvariantCulture),
        Value.KindOneofCase.Numeric => value.Numeric,
        Value.KindOneofCase.Text => value.Text,
        Value.KindOneofCase.Json => value.Json,
        Value.KindOneofCase.Bytes => Convert.ToHexStringLower(value.Bytes.Span),
        Value.KindOneofCase.Uuid => new Guid(value.Uuid.Span, bigEndian: true).ToString(),
        Value.KindOneofCase.TimestamptzUs => value.TimestamptzUs.ToString(CultureInfo.InvariantCulture),
        Value.KindOneofCase.TimestampUs => value.TimestampUs.ToString(CultureInfo.InvariantCulture),
        Value.KindOneofCase.Float => value.Float.ToString("R", CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
