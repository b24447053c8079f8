using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Cdc.Decoding;

namespace Cdc.Listener.Outbox;

/// <summary>
/// Reads the few column types outbox tables use from a pgoutput tuple, in text output (the default) or binary send
/// format (<c>Cdc:Binary</c>). A value of another type, or one that does not parse, is an <see cref="OutboxRowException"/>:
/// the row is refused and recorded, never a reason to stop.
/// </summary>
internal static class OutboxValues
{
    private const uint Bytea = 17;
    private const uint Int8 = 20;
    private const uint Int2 = 21;
    private const uint Int4 = 23;
    private const uint Json = 114;
    private const uint Jsonb = 3802;
    private const uint Uuid = 2950;

    /// <summary>The value as text (uuid, integers, text types, json); null for SQL NULL.</summary>
    public static string? Text(TupleData row, int index, ColumnInfo column)
    {
        if (!HasValue(row, index, column))
        {
            return null;
        }

        var raw = row.GetRaw(index);
        if (row.GetKind(index) == TupleValueKind.Text)
        {
            return column.TypeOid == Bytea ? Encoding.UTF8.GetString(HexBytea(raw, column)) : Encoding.UTF8.GetString(raw);
        }

        return column.TypeOid switch
        {
            Uuid when raw.Length == 16 => new Guid(raw, bigEndian: true).ToString(),
            Int8 when raw.Length == 8 => BinaryPrimitives.ReadInt64BigEndian(raw).ToString(CultureInfo.InvariantCulture),
            Int4 when raw.Length == 4 => BinaryPrimitives.ReadInt32BigEndian(raw).ToString(CultureInfo.InvariantCulture),
            Int2 when raw.Length == 2 => BinaryPrimitives.ReadInt16BigEndian(raw).ToString(CultureInfo.InvariantCulture),
            Jsonb when raw.Length > 0 && raw[0] == 1 => Encoding.UTF8.GetString(raw[1..]),
            Uuid or Int8 or Int4 or Int2 or Jsonb => throw new OutboxRowException($"column {column.Name} ({column.TypeName}) has a malformed binary value"),
            _ => Encoding.UTF8.GetString(raw), // text, varchar, bpchar, name, json: the send format is the text
        };
    }

    /// <summary>The value as bytes: bytea as stored, json/jsonb and text types as UTF-8 text; null for SQL NULL.</summary>
    public static ReadOnlyMemory<byte>? Bytes(TupleData row, int index, ColumnInfo column)
    {
        if (!HasValue(row, index, column))
        {
            return null;
        }

        var raw = row.GetRawMemory(index);
        var binary = row.GetKind(index) == TupleValueKind.Binary;
        return column.TypeOid switch
        {
            Bytea => binary ? raw : HexBytea(raw.Span, column),
            Jsonb when binary => raw.Length > 0 && raw.Span[0] == 1 ? raw[1..] : throw new OutboxRowException($"column {column.Name} (jsonb) has a malformed binary value"),
            Uuid or Int8 or Int4 or Int2 => Encoding.UTF8.GetBytes(Text(row, index, column)!),
            _ => raw,
        };
    }

    /// <summary>A JSON payload column (json, jsonb) gets <c>Content-Type: application/json</c>.</summary>
    public static bool IsJson(ColumnInfo column) => column.TypeOid is Json or Jsonb;

    private static bool HasValue(TupleData row, int index, ColumnInfo column)
    {
        return row.GetKind(index) switch
        {
            TupleValueKind.Null => false,
            TupleValueKind.UnchangedToast => throw new OutboxRowException($"column {column.Name} came as an unchanged TOAST value (only inserts are relayed)"),
            _ => true,
        };
    }

    /// <summary>bytea text output: <c>\x</c> and hex digits (bytea_output = hex, the default since PostgreSQL 9.0).</summary>
    private static byte[] HexBytea(ReadOnlySpan<byte> text, ColumnInfo column)
    {
        if (text.Length < 2 || text[0] != '\\' || text[1] != 'x')
        {
            throw new OutboxRowException($"column {column.Name} (bytea) is not in hex output: set bytea_output = hex for Cdc's role");
        }

        try
        {
            return Convert.FromHexString(Encoding.ASCII.GetString(text[2..]));
        }
        catch (FormatException e)
        {
            throw new OutboxRowException($"column {column.Name} (bytea) has a malformed hex value: {e.Message}");
        }
    }
}

/// <summary>An outbox row Cdc cannot turn into messages (a NULL where a value is needed, a malformed batch).</summary>
public sealed class OutboxRowException(string message) : CdcException(message, isTransient: false);
