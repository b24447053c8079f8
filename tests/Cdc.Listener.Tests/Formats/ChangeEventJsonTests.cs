using System.Text;
using System.Text.Json.Nodes;
using Cdc.Listener.Formats;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Tests.Formats;

/// <summary>The direct JSON writer gives what Google.Protobuf's JsonFormatter gives, for every value kind.</summary>
public sealed class ChangeEventJsonTests
{
    private static Column Col(string name, Value value) => new() { Name = name, TypeOid = 25, TypeName = "text", TypeModifier = -1, Value = value };

    public static TheoryData<string, ChangeEvent> Events() => new()
    {
        { "every simple kind", new ChangeEvent
        {
            Operation = Operation.Update, Database = "shop", Schema = "public", Table = "t", CommitLsn = ulong.MaxValue, EndLsn = 1,
            Xid = uint.MaxValue, CommitTimeUs = -5, Index = 3, IsLast = true, KeyColumns = { "id", "k2" }, RelationId = 16384,
            Origin = "o", OldRowFull = true,
            NewRow =
            {
                Col("null", new Value { Null = true }), Col("toast", new Value { UnchangedToast = true }), Col("false", new Value { Bool = false }),
                Col("true", new Value { Bool = true }), Col("zero", new Value { Int = 0 }), Col("min", new Value { Int = long.MinValue }),
                Col("max", new Value { Int = long.MaxValue }), Col("f", new Value { Float = 0.1 }), Col("big", new Value { Float = -1.5e300 }),
                Col("nan", new Value { Float = double.NaN }), Col("inf", new Value { Float = double.PositiveInfinity }),
                Col("ninf", new Value { Float = double.NegativeInfinity }), Col("fzero", new Value { Float = 0 }),
                Col("numeric", new Value { Numeric = "-12.3400" }), Col("text", new Value { Text = "ünï \"q\" \\ \n\t\u0001 <&> \u2028 😀" }),
                Col("empty", new Value { Text = string.Empty }), Col("bytes", new Value { Bytes = ByteString.CopyFrom(0, 255, 7) }),
                Col("uuid", new Value { Uuid = ByteString.CopyFrom(new byte[16]) }), Col("json", new Value { Json = "{\"a\": [1, null]}" }),
                Col("ts", new Value { TimestampUs = long.MaxValue }), Col("tstz", new Value { TimestamptzUs = -1 }),
                Col("date", new Value { Date = int.MinValue }), Col("time", new Value { TimeUs = 86_399_999_999 }),
                Col("money", new Value { Money = -100 }), Col("bits", new Value { Bits = "0101" }),
                Col("mac", new Value { Macaddr = ByteString.CopyFrom(1, 2, 3, 4, 5, 6) }), Col("tsv", new Value { Tsvector = "'a':1" }),
                new Column { Name = "unset" }, new Column(),
            },
            OldRow = { Col("id", new Value { Int = 1 }) },
        } },
        { "nested kinds", new ChangeEvent
        {
            Operation = Operation.Insert,
            NewRow =
            {
                Col("arr", new Value { Array = new Cdc.V1.Array { ElementTypeOid = 23, Dimensions = { 2 }, LowerBounds = { 1 }, Elements = { new Value { Int = 1 }, new Value { Null = true } } } }),
                Col("range", new Value { Range = new Cdc.V1.Range { Lower = new Value { Int = 1 }, LowerInclusive = true } }),
                Col("interval", new Value { Interval = new Interval { Months = 1, Days = -2, Microseconds = 3 } }),
                Col("timetz", new Value { Timetz = new TimeTz { TimeUs = 5, OffsetSeconds = -3600 } }),
                Col("inet", new Value { Inet = new Inet { Address = ByteString.CopyFrom(127, 0, 0, 1), PrefixLength = 32 } }),
                Col("geo", new Value { Geometry = new Geometry { Kind = Geometry.Types.Kind.Point, Values = { 1.5, double.NaN } } }),
                Col("comp", new Value { Composite = new Composite { Fields = { Col("x", new Value { Text = "y" }) } } }),
                Col("empty value", new Value()),
            },
        } },
        { "truncate", new ChangeEvent { Operation = Operation.Truncate, TruncateCascade = true, TruncateRestartIdentity = true } },
        { "message", new ChangeEvent { Operation = Operation.Message, Message = new LogicalMessage { Prefix = "outbox", Content = ByteString.CopyFromUtf8("hi"), Transactional = true } } },
        { "empty", new ChangeEvent() },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Direct_json_equals_the_formatters_and_parses_back_to_the_same_event(string name, ChangeEvent evt)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        ProtoJson.Write(EventKind.Change, evt.ToByteArray(), output);
        var direct = Encoding.UTF8.GetString(output.WrittenSpan);
        var expected = JsonFormatter.Default.Format(evt);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(direct)), $"{name}\nformatter: {expected}\ndirect:    {direct}");
        Assert.Equal(evt, JsonParser.Default.Parse<ChangeEvent>(direct));
    }
}
