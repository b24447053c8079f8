using System.Buffers.Text;
using System.Text.Json;
using Cdc.V1;
using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Cdc.Listener.Formats;

/// <summary>
/// Writes a <see cref="ChangeEvent"/> in the proto3 JSON mapping straight to a <see cref="Utf8JsonWriter"/>, the same
/// JSON <see cref="JsonFormatter"/> gives (fields at their default left out, 64-bit integers as strings, bytes as
/// base64, non-finite doubles as strings) without its reflection and string building. The rarer nested values
/// (arrays, ranges, composites, geometry, intervals, ...) and the logical message go through the formatter.
/// </summary>
internal static class ChangeEventJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    public static void Write(Utf8JsonWriter writer, ChangeEvent e)
    {
        writer.WriteStartObject();
        if (e.Operation != Operation.Unspecified)
        {
            writer.WriteString("operation"u8, OperationName(e.Operation));
        }

        Text(writer, "database"u8, e.Database);
        Text(writer, "schema"u8, e.Schema);
        Text(writer, "table"u8, e.Table);
        Int64(writer, "commitLsn"u8, e.CommitLsn, e.CommitLsn != 0);
        Int64(writer, "endLsn"u8, e.EndLsn, e.EndLsn != 0);
        if (e.Xid != 0)
        {
            writer.WriteNumber("xid"u8, e.Xid);
        }

        Int64(writer, "commitTimeUs"u8, (ulong)e.CommitTimeUs, e.CommitTimeUs != 0, negative: e.CommitTimeUs < 0);
        if (e.Index != 0)
        {
            writer.WriteNumber("index"u8, e.Index);
        }

        Flag(writer, "isLast"u8, e.IsLast);
        if (e.KeyColumns.Count > 0)
        {
            writer.WriteStartArray("keyColumns"u8);
            foreach (var key in e.KeyColumns)
            {
                writer.WriteStringValue(key);
            }

            writer.WriteEndArray();
        }

        Columns(writer, "newRow"u8, e.NewRow);
        Columns(writer, "oldRow"u8, e.OldRow);
        Flag(writer, "oldRowFull"u8, e.OldRowFull);
        if (e.RelationId != 0)
        {
            writer.WriteNumber("relationId"u8, e.RelationId);
        }

        Text(writer, "origin"u8, e.Origin);
        Flag(writer, "truncateCascade"u8, e.TruncateCascade);
        Flag(writer, "truncateRestartIdentity"u8, e.TruncateRestartIdentity);
        if (e.Message is not null)
        {
            writer.WritePropertyName("message"u8);
            writer.WriteRawValue(Formatter.Format(e.Message), skipInputValidation: true);
        }

        writer.WriteEndObject();
    }

    private static void Columns(Utf8JsonWriter writer, ReadOnlySpan<byte> name, RepeatedField<Column> columns)
    {
        if (columns.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var column in columns)
        {
            writer.WriteStartObject();
            Text(writer, "name"u8, column.Name);
            if (column.TypeOid != 0)
            {
                writer.WriteNumber("typeOid"u8, column.TypeOid);
            }

            Text(writer, "typeName"u8, column.TypeName);
            if (column.TypeModifier != 0)
            {
                writer.WriteNumber("typeModifier"u8, column.TypeModifier);
            }

            if (column.Value is { } value)
            {
                writer.WritePropertyName("value"u8);
                Value(writer, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void Value(Utf8JsonWriter writer, Value v)
    {
        if (v.KindCase is Cdc.V1.Value.KindOneofCase.None or Cdc.V1.Value.KindOneofCase.Timetz or Cdc.V1.Value.KindOneofCase.Interval
            or Cdc.V1.Value.KindOneofCase.Inet or Cdc.V1.Value.KindOneofCase.Geometry or Cdc.V1.Value.KindOneofCase.Array
            or Cdc.V1.Value.KindOneofCase.Range or Cdc.V1.Value.KindOneofCase.Multirange or Cdc.V1.Value.KindOneofCase.Composite)
        {
            writer.WriteRawValue(Formatter.Format(v), skipInputValidation: true);
            return;
        }

        writer.WriteStartObject();
        switch (v.KindCase)
        {
            case Cdc.V1.Value.KindOneofCase.Null: writer.WriteBoolean("null"u8, v.Null); break;
            case Cdc.V1.Value.KindOneofCase.UnchangedToast: writer.WriteBoolean("unchangedToast"u8, v.UnchangedToast); break;
            case Cdc.V1.Value.KindOneofCase.Bool: writer.WriteBoolean("bool"u8, v.Bool); break;
            case Cdc.V1.Value.KindOneofCase.Int: Int64(writer, "int"u8, (ulong)v.Int, true, v.Int < 0); break;
            case Cdc.V1.Value.KindOneofCase.Float: Double(writer, "float"u8, v.Float); break;
            case Cdc.V1.Value.KindOneofCase.Numeric: writer.WriteString("numeric"u8, v.Numeric); break;
            case Cdc.V1.Value.KindOneofCase.Text: writer.WriteString("text"u8, v.Text); break;
            case Cdc.V1.Value.KindOneofCase.Bytes: writer.WriteBase64String("bytes"u8, v.Bytes.Span); break;
            case Cdc.V1.Value.KindOneofCase.Uuid: writer.WriteBase64String("uuid"u8, v.Uuid.Span); break;
            case Cdc.V1.Value.KindOneofCase.Json: writer.WriteString("json"u8, v.Json); break;
            case Cdc.V1.Value.KindOneofCase.TimestampUs: Int64(writer, "timestampUs"u8, (ulong)v.TimestampUs, true, v.TimestampUs < 0); break;
            case Cdc.V1.Value.KindOneofCase.TimestamptzUs: Int64(writer, "timestamptzUs"u8, (ulong)v.TimestamptzUs, true, v.TimestamptzUs < 0); break;
            case Cdc.V1.Value.KindOneofCase.Date: writer.WriteNumber("date"u8, v.Date); break;
            case Cdc.V1.Value.KindOneofCase.TimeUs: Int64(writer, "timeUs"u8, (ulong)v.TimeUs, true, v.TimeUs < 0); break;
            case Cdc.V1.Value.KindOneofCase.Money: Int64(writer, "money"u8, (ulong)v.Money, true, v.Money < 0); break;
            case Cdc.V1.Value.KindOneofCase.Bits: writer.WriteString("bits"u8, v.Bits); break;
            case Cdc.V1.Value.KindOneofCase.Macaddr: writer.WriteBase64String("macaddr"u8, v.Macaddr.Span); break;
            case Cdc.V1.Value.KindOneofCase.Tsvector: writer.WriteString("tsvector"u8, v.Tsvector); break;
            default: throw new InvalidOperationException($"value kind {v.KindCase} has no JSON writer");
        }

        writer.WriteEndObject();
    }

    private static void Text(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string value)
    {
        if (value.Length > 0)
        {
            writer.WriteString(name, value);
        }
    }

    private static void Flag(Utf8JsonWriter writer, ReadOnlySpan<byte> name, bool value)
    {
        if (value)
        {
            writer.WriteBoolean(name, true);
        }
    }

    /// <summary>A 64-bit integer as its decimal string (proto3 JSON); <paramref name="negative"/> reads the bits as signed.</summary>
    private static void Int64(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ulong bits, bool present, bool negative = false)
    {
        if (!present)
        {
            return;
        }

        Span<byte> digits = stackalloc byte[24];
        var ok = negative ? Utf8Formatter.TryFormat((long)bits, digits, out var written) : Utf8Formatter.TryFormat(bits, digits, out written);
        if (!ok)
        {
            throw new InvalidOperationException("a 64-bit integer did not fit 24 bytes");
        }

        writer.WriteString(name, digits[..written]);
    }

    private static void Double(Utf8JsonWriter writer, ReadOnlySpan<byte> name, double value)
    {
        if (double.IsNaN(value))
        {
            writer.WriteString(name, "NaN"u8);
        }
        else if (double.IsPositiveInfinity(value))
        {
            writer.WriteString(name, "Infinity"u8);
        }
        else if (double.IsNegativeInfinity(value))
        {
            writer.WriteString(name, "-Infinity"u8);
        }
        else
        {
            writer.WriteNumber(name, value);
        }
    }

    private static string OperationName(Operation operation) => operation switch
    {
        Operation.Insert => "OPERATION_INSERT",
        Operation.Update => "OPERATION_UPDATE",
        Operation.Delete => "OPERATION_DELETE",
        Operation.Truncate => "OPERATION_TRUNCATE",
        Operation.Message => "OPERATION_MESSAGE",
        Operation.Read => "OPERATION_READ",
        _ => ((int)operation).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
