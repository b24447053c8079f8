using System.Text;
using System.Text.Json;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Formats;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Tests.Formats;

/// <summary>What each <c>Cdc:Format</c> publishes for one event: payload and headers.</summary>
public sealed class EventFormatTests
{
    private static readonly KeyValuePair<string, string>[] Common = [new("Nats-Expected-Stream", "CDC")];

    // 2024-02-29T23:59:59.123456Z
    private const long CommitMicros = 1_709_251_199_123_456;

    private static readonly ChangeEvent Insert = new()
    {
        Operation = Operation.Insert,
        Database = "shop",
        Schema = "public",
        Table = "orders",
        EndLsn = 0x1_0000_0000UL,
        CommitTimeUs = CommitMicros,
        NewRow =
        {
            new Column { Name = "id", TypeOid = 20, TypeName = "int8", Value = new Value { Int = 9_007_199_254_740_993 } },
            new Column { Name = "note", TypeOid = 25, TypeName = "text", Value = new Value { Null = true } },
        },
    };

    private static readonly EventContext Context = new(EventKind.Change, ChangeKind.Insert, "cdc:0000000100000000:0", "public", "orders", CommitMicros);

    private static EventFormat Create(string format, string mode = "structured", string data = "json")
        => EventFormat.Create(new CdcOptions { Slot = "cdc", Format = format, CloudEvents = { Mode = mode, DataFormat = data } }, "shop", Common);

    private static (byte[] Payload, IReadOnlyList<KeyValuePair<string, string>> Headers) Run(EventFormat format, IMessage message, in EventContext context)
    {
        var payload = format.Format(message.ToByteArray(), context, out var headers).ToArray();
        return (payload, headers);
    }

    [Fact]
    public void Protobuf_keeps_the_bytes_and_shares_one_header_list_per_message_type()
    {
        var format = Create("protobuf");
        var (payload, headers) = Run(format, Insert, Context);
        var (_, again) = Run(format, Insert, Context);
        var (_, schema) = Run(format, new RelationEvent { Table = "orders" }, Context with { Kind = EventKind.Schema });

        Assert.Equal(Insert.ToByteArray(), payload);
        Assert.Same(headers, again);
        Assert.Equal([Common[0], new("Content-Type", "application/protobuf; proto=cdc.v1.ChangeEvent")], headers);
        Assert.Equal("application/protobuf; proto=cdc.v1.RelationEvent", schema.Single(h => h.Key == "Content-Type").Value);
    }

    [Fact]
    public void Json_is_the_proto3_mapping_with_int64_as_a_string_and_null_told_apart()
    {
        var (payload, headers) = Run(Create("json"), Insert, Context);
        using var json = JsonDocument.Parse(payload);
        var root = json.RootElement;

        Assert.Equal("application/json", headers.Single(h => h.Key == "Content-Type").Value);
        Assert.Equal("OPERATION_INSERT", root.GetProperty("operation").GetString());
        Assert.Equal("4294967296", root.GetProperty("endLsn").GetString());
        Assert.Equal("9007199254740993", root.GetProperty("newRow")[0].GetProperty("value").GetProperty("int").GetString());
        Assert.True(root.GetProperty("newRow")[1].GetProperty("value").GetProperty("null").GetBoolean());
        Assert.Equal(Insert, JsonParser.Default.Parse<ChangeEvent>(Encoding.UTF8.GetString(payload)));
    }

    [Fact]
    public void Snapshot_rows_and_markers_have_their_own_type_content_type_and_json()
    {
        var marker = new SnapshotEvent { Database = "shop", Schema = "public", Table = "orders", ConsistentLsn = 0x1_0000_0000UL, RowCount = 3, Slot = "cdc" };
        var markerContext = Context with { Kind = EventKind.Snapshot, Operation = ChangeKind.Read };
        var read = Insert.Clone();
        read.Operation = Operation.Read;

        var (_, protobufHeaders) = Run(Create("protobuf"), marker, markerContext);
        var (markerJson, _) = Run(Create("json"), marker, markerContext);
        var (readJson, _) = Run(Create("json"), read, Context with { Operation = ChangeKind.Read });
        var (markerEvent, _) = Run(Create("cloudevents"), marker, markerContext);
        var (readEvent, _) = Run(Create("cloudevents"), read, Context with { Operation = ChangeKind.Read });

        Assert.Equal("application/protobuf; proto=cdc.v1.SnapshotEvent", protobufHeaders.Single(h => h.Key == "Content-Type").Value);
        Assert.Equal(marker, JsonParser.Default.Parse<SnapshotEvent>(Encoding.UTF8.GetString(markerJson)));
        Assert.Equal(read, JsonParser.Default.Parse<ChangeEvent>(Encoding.UTF8.GetString(readJson)));
        using var markerDocument = JsonDocument.Parse(markerEvent);
        using var readDocument = JsonDocument.Parse(readEvent);
        Assert.Equal("io.cdc.snapshot", markerDocument.RootElement.GetProperty("type").GetString());
        Assert.Equal("io.cdc.change.read", readDocument.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void Cloudevents_structured_wraps_the_json_event_with_the_context_attributes()
    {
        var (payload, headers) = Run(Create("cloudevents"), Insert, Context);
        using var json = JsonDocument.Parse(payload);
        var root = json.RootElement;

        Assert.Equal("application/cloudevents+json", headers.Single(h => h.Key == "Content-Type").Value);
        Assert.Equal("1.0", root.GetProperty("specversion").GetString());
        Assert.Equal("cdc:0000000100000000:0", root.GetProperty("id").GetString());
        Assert.Equal("/cdc/shop/cdc", root.GetProperty("source").GetString());
        Assert.Equal("io.cdc.change.insert", root.GetProperty("type").GetString());
        Assert.Equal("public.orders", root.GetProperty("subject").GetString());
        Assert.Equal("2024-02-29T23:59:59.123456Z", root.GetProperty("time").GetString());
        Assert.Equal("application/json", root.GetProperty("datacontenttype").GetString());
        Assert.Equal(Insert, JsonParser.Default.Parse<ChangeEvent>(root.GetProperty("data").GetRawText()));
    }

    [Theory]
    [InlineData("json", "application/json")]
    [InlineData("protobuf", "application/protobuf; proto=cdc.v1.ChangeEvent")]
    public void Cloudevents_binary_puts_the_attributes_in_ce_headers_and_the_event_in_the_payload(string data, string contentType)
    {
        var (payload, headers) = Run(Create("cloudevents", "binary", data), Insert, Context with { Kind = EventKind.Message, Schema = string.Empty, Name = "outbox" });
        var map = headers.ToDictionary(h => h.Key, h => h.Value);

        Assert.Equal("CDC", map["Nats-Expected-Stream"]);
        Assert.Equal(contentType, map["Content-Type"]);
        Assert.Equal("1.0", map["ce-specversion"]);
        Assert.Equal("cdc:0000000100000000:0", map["ce-id"]);
        Assert.Equal("/cdc/shop/cdc", map["ce-source"]);
        Assert.Equal("io.cdc.message", map["ce-type"]);
        Assert.Equal("outbox", map["ce-subject"]);
        Assert.Equal("2024-02-29T23:59:59.123456Z", map["ce-time"]);
        var parsed = data == "json" ? JsonParser.Default.Parse<ChangeEvent>(Encoding.UTF8.GetString(payload)) : ChangeEvent.Parser.ParseFrom(payload);
        Assert.Equal(Insert, parsed);
    }

    [Theory]
    [InlineData("protobuf", "structured")]
    [InlineData("json", "structured")]
    [InlineData("cloudevents", "structured")]
    [InlineData("cloudevents", "binary")]
    public void What_each_format_writes_is_read_back_by_its_content_type(string format, string mode)
    {
        var (payload, headers) = Run(Create(format, mode), Insert, Context);

        Assert.Equal(Insert, ChangeEventReader.Read(headers.Single(h => h.Key == "Content-Type").Value, payload));
    }

    [Fact]
    public void A_payload_that_is_not_what_its_content_type_says_is_a_format_error()
        => Assert.Throws<FormatException>(() => ChangeEventReader.Read("application/cloudevents+json", "{\"specversion\":\"1.0\"}"u8));
}
