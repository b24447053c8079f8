using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Unicode;

namespace Cdc.Decoding.Values;

/// <summary>
/// The allocation-free path of the encoder: plans the common scalar types straight from the tuple bytes (text
/// and binary), producing exactly the field <see cref="ValueConverter"/> would. Returns false for anything
/// else, which then goes through the converter.
/// </summary>
internal static class ValuePlanner
{
    private const int NullField = 1;
    private const int UnchangedToastField = 2;
    private const int BoolField = 3;
    private const int IntField = 4;
    private const int FloatField = 5;
    private const int NumericField = 6;
    private const int TextField = 7;
    private const int BytesField = 8;
    private const int UuidField = 9;
    private const int JsonField = 10;
    private const int TimestampField = 11;
    private const int TimestamptzField = 12;
    private const int DateField = 13;
    private const int TimeField = 14;
    private const int MoneyField = 17;
    private const int BitsField = 18;
    private const int TsvectorField = 26;

    public static bool TryPlan(PgValueKind kind, TupleValueKind tupleKind, ReadOnlyMemory<byte> raw, ScratchBuffer scratch, ref ValuePlan plan)
    {
        plan.Message = null;
        switch (tupleKind)
        {
            case TupleValueKind.Null:
                return Varint(ref plan, NullField, 1);
            case TupleValueKind.UnchangedToast:
                return Varint(ref plan, UnchangedToastField, 1);
            case TupleValueKind.Text:
                return TryPlanText(kind, raw, scratch, ref plan);
            case TupleValueKind.Binary:
                return TryPlanBinary(kind, raw, scratch, ref plan);
            default:
                return false;
        }
    }

    private static bool TryPlanText(PgValueKind kind, ReadOnlyMemory<byte> raw, ScratchBuffer scratch, ref ValuePlan plan)
    {
        var text = raw.Span;
        switch (kind)
        {
            case PgValueKind.Bool:
                return text.Length == 1 && text[0] is (byte)'t' or (byte)'f' && Varint(ref plan, BoolField, text[0] == (byte)'t' ? 1UL : 0UL);
            case PgValueKind.Int2:
            case PgValueKind.Int4:
            case PgValueKind.Int8:
                return Utf8Parser.TryParse(text, out long integer, out var used) && used == text.Length && Varint(ref plan, IntField, ProtoWire.ZigZag(integer));
            case PgValueKind.Oid:
                return Utf8Parser.TryParse(text, out uint oid, out var oidUsed) && oidUsed == text.Length
                    ? Varint(ref plan, IntField, ProtoWire.ZigZag((long)oid))
                    : Raw(ref plan, TextField, raw);
            case PgValueKind.Float4:
                return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var single)
                    && Fixed64(ref plan, FloatField, BitConverter.DoubleToUInt64Bits(single));
            case PgValueKind.Float8:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    && Fixed64(ref plan, FloatField, BitConverter.DoubleToUInt64Bits(number));
            case PgValueKind.Numeric:
                return ScalarText.IsNumericText(text) && Raw(ref plan, NumericField, raw);
            case PgValueKind.Date:
                return Varint(ref plan, DateField, ProtoWire.ZigZag(DateTimeText.ParseDate(text)));
            case PgValueKind.Time:
                return Varint(ref plan, TimeField, ProtoWire.ZigZag(DateTimeText.ParseTime(text)));
            case PgValueKind.Timestamp:
                return Varint(ref plan, TimestampField, ProtoWire.ZigZag(DateTimeText.ParseTimestamp(text, withTimeZone: false)));
            case PgValueKind.TimestampTz:
                return Varint(ref plan, TimestamptzField, ProtoWire.ZigZag(DateTimeText.ParseTimestamp(text, withTimeZone: true)));
            case PgValueKind.Json:
            case PgValueKind.Jsonb:
                return Raw(ref plan, JsonField, raw);
            case PgValueKind.TsVector:
            case PgValueKind.TsQuery:
                return Raw(ref plan, TsvectorField, raw);
            case PgValueKind.Bit:
                return ScalarText.IsBitText(text) && Raw(ref plan, BitsField, raw);
            case PgValueKind.Uuid:
                return TryPlanUuidText(text, scratch, ref plan);
            case PgValueKind.Bytea:
                return TryPlanByteaHex(text, scratch, ref plan);
            case PgValueKind.Text:
            case PgValueKind.Char:
            case PgValueKind.Enum:
            case PgValueKind.Other:
            case PgValueKind.PgLsn:
            case PgValueKind.Tid:
            case PgValueKind.Snapshot:
            case PgValueKind.JsonPath:
                return Raw(ref plan, TextField, raw);
            default:
                return false;
        }
    }

    private static bool TryPlanBinary(PgValueKind kind, ReadOnlyMemory<byte> raw, ScratchBuffer scratch, ref ValuePlan plan)
    {
        var data = raw.Span;
        switch (kind)
        {
            case PgValueKind.Bool:
                return data.Length == 1 && data[0] <= 1 && Varint(ref plan, BoolField, data[0]);
            case PgValueKind.Int2:
                return data.Length == 2 && Varint(ref plan, IntField, ProtoWire.ZigZag((long)BinaryPrimitives.ReadInt16BigEndian(data)));
            case PgValueKind.Int4:
                return data.Length == 4 && Varint(ref plan, IntField, ProtoWire.ZigZag((long)BinaryPrimitives.ReadInt32BigEndian(data)));
            case PgValueKind.Int8:
                return data.Length == 8 && Varint(ref plan, IntField, ProtoWire.ZigZag(BinaryPrimitives.ReadInt64BigEndian(data)));
            case PgValueKind.Oid:
                return data.Length == 4 && Varint(ref plan, IntField, ProtoWire.ZigZag((long)BinaryPrimitives.ReadUInt32BigEndian(data)));
            case PgValueKind.Float4:
                return data.Length == 4 && Fixed64(ref plan, FloatField, BitConverter.DoubleToUInt64Bits(BinaryPrimitives.ReadSingleBigEndian(data)));
            case PgValueKind.Float8:
                return data.Length == 8 && Fixed64(ref plan, FloatField, BinaryPrimitives.ReadUInt64BigEndian(data));
            case PgValueKind.Money:
                return data.Length == 8 && Varint(ref plan, MoneyField, ProtoWire.ZigZag(BinaryPrimitives.ReadInt64BigEndian(data)));
            case PgValueKind.Date:
                return data.Length == 4 && Varint(ref plan, DateField, ProtoWire.ZigZag(PgCalendar.DateFromPg(BinaryPrimitives.ReadInt32BigEndian(data))));
            case PgValueKind.Time:
                return data.Length == 8 && Varint(ref plan, TimeField, ProtoWire.ZigZag(BinaryPrimitives.ReadInt64BigEndian(data)));
            case PgValueKind.Timestamp:
                return data.Length == 8 && Varint(ref plan, TimestampField, ProtoWire.ZigZag(PgCalendar.TimestampFromPg(BinaryPrimitives.ReadInt64BigEndian(data), "timestamp")));
            case PgValueKind.TimestampTz:
                return data.Length == 8 && Varint(ref plan, TimestamptzField, ProtoWire.ZigZag(PgCalendar.TimestampFromPg(BinaryPrimitives.ReadInt64BigEndian(data), "timestamptz")));
            case PgValueKind.Uuid:
                return data.Length == 16 && Raw(ref plan, UuidField, raw);
            case PgValueKind.Bytea:
                return Raw(ref plan, BytesField, raw);
            case PgValueKind.Text:
            case PgValueKind.Enum:
                return Raw(ref plan, TextField, raw);
            case PgValueKind.Json:
                return Raw(ref plan, JsonField, raw);
            case PgValueKind.Jsonb:
                return data.Length >= 1 && data[0] == 1 && Raw(ref plan, JsonField, raw[1..]);
            case PgValueKind.Numeric:
                var offset = scratch.Reserve(NumericBinary.MaxTextLength(data), out var span);
                var written = NumericBinary.Format(data, span);
                scratch.Trim(offset, written);
                return Scratch(ref plan, NumericField, offset, written);
            default:
                return false;
        }
    }

    private static bool TryPlanUuidText(ReadOnlySpan<byte> text, ScratchBuffer scratch, ref ValuePlan plan)
    {
        var offset = scratch.Reserve(16, out var bytes);
        return ScalarText.TryParseUuid(text, bytes) && Scratch(ref plan, UuidField, offset, 16);
    }

    /// <summary>Hex form only (the default bytea_output); the escape form goes through the converter.</summary>
    private static bool TryPlanByteaHex(ReadOnlySpan<byte> text, ScratchBuffer scratch, ref ValuePlan plan)
    {
        if (text.Length < 2 || text[0] != (byte)'\\' || text[1] != (byte)'x' || text.Length % 2 != 0)
        {
            return false;
        }

        var offset = scratch.Reserve((text.Length - 2) / 2, out var bytes);
        return ScalarText.DecodeHex(text[2..], bytes) < 0 && Scratch(ref plan, BytesField, offset, bytes.Length);
    }

    private static bool Varint(ref ValuePlan plan, int field, ulong value)
    {
        plan.Field = field;
        plan.Form = ValuePlanForm.Varint;
        plan.Number = value;
        plan.Size = ProtoWire.TagSize(field) + ProtoWire.VarintSize(value);
        return true;
    }

    private static bool Fixed64(ref ValuePlan plan, int field, ulong bits)
    {
        plan.Field = field;
        plan.Form = ValuePlanForm.Fixed64;
        plan.Number = bits;
        plan.Size = ProtoWire.TagSize(field) + 8;
        return true;
    }

    private static bool Raw(ref ValuePlan plan, int field, ReadOnlyMemory<byte> raw)
    {
        // Protobuf strings must be UTF-8. A SQL_ASCII database can send anything: such a value takes the
        // converter's path, which replaces invalid sequences, so both paths agree.
        if (field is not (BytesField or UuidField) && !Utf8.IsValid(raw.Span))
        {
            return false;
        }

        plan.Field = field;
        plan.Form = ValuePlanForm.Raw;
        plan.Raw = raw;
        plan.Size = ProtoWire.LengthDelimitedSize(field, raw.Length);
        return true;
    }

    private static bool Scratch(ref ValuePlan plan, int field, int offset, int length)
    {
        plan.Field = field;
        plan.Form = ValuePlanForm.Scratch;
        plan.ScratchOffset = offset;
        plan.ScratchLength = length;
        plan.Size = ProtoWire.LengthDelimitedSize(field, length);
        return true;
    }
}
