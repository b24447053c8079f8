using System.Text;
using Cdc.Consumer.Events;
using Cdc.V1;
using Google.Protobuf;
using NATS.Client.Core;

namespace Cdc.Consumer.Tests;

/// <summary>The decoder reads every format Cdc publishes (by Content-Type) and the snapshot markers (by subject).</summary>
public sealed class EventDecoderTests
{
    private static readonly ChangeEvent Read = new()
    {
        Operation = Operation.Read,
        Database = "shop",
        Schema = "public",
        Table = "orders",
        EndLsn = 0x1_0000_0000UL,
        NewRow = { new Column { Name = "id", TypeOid = 20, TypeName = "int8", Value = new Value { Int = 9_007_199_254_740_993 } } },
    };

    private static CdcEvent Decode(string subject, string? contentType, byte[] payload)
    {
        var headers = new NatsHeaders();
        if (contentType is not null)
        {
            headers["Content-Type"] = contentType;
        }

        return CdcEventDecoder.Decode(new CdcEventEnvelope(7, subject, headers, "id", DateTimeOffset.UnixEpoch, null), payload);
    }

    [Fact]
    public void Protobuf_json_and_structured_cloudevents_decode_to_the_same_change()
    {
        var json = JsonFormatter.Default.Format(Read);
        var cloudEvent = $$"""{"specversion":"1.0","id":"id","type":"io.cdc.change.read","source":"/cdc/shop/cdc","data":{{json}}}""";

        var fromProtobuf = Assert.IsType<CdcChangeEvent>(Decode("cdc.shop.public.orders", null, Read.ToByteArray()));
        var fromJson = Assert.IsType<CdcChangeEvent>(Decode("cdc.shop.public.orders", "application/json", Encoding.UTF8.GetBytes(json)));
        var fromCloudEvent = Assert.IsType<CdcChangeEvent>(Decode("cdc.shop.public.orders", "application/cloudevents+json", Encoding.UTF8.GetBytes(cloudEvent)));

        Assert.Equal(Read, fromProtobuf.Change);
        Assert.Equal(Read, fromJson.Change);
        Assert.Equal(Read, fromCloudEvent.Change);
    }

    [Fact]
    public void A_snapshot_marker_is_its_own_event()
    {
        var marker = new SnapshotEvent { Database = "shop", Schema = "public", Table = "orders", ConsistentLsn = 42, RowCount = 3, Slot = "cdc" };

        var decoded = Assert.IsType<CdcSnapshotMarker>(Decode("cdc.shop.public.orders._snapshot", "application/protobuf; proto=cdc.v1.SnapshotEvent", marker.ToByteArray()));

        Assert.Equal(marker, decoded.Snapshot);
    }

    [Fact]
    public void A_payload_that_is_not_what_its_content_type_says_is_undecodable_not_dropped()
    {
        var decoded = Decode("cdc.shop.public.orders", "application/json", Encoding.UTF8.GetBytes("{not json"));

        var undecodable = Assert.IsType<CdcUndecodableEvent>(decoded);
        Assert.Equal(7UL, undecodable.StreamSequence);
    }

    [Fact]
    public void An_outbox_message_is_its_own_event_with_the_applications_payload()
    {
        var headers = new NatsHeaders
        {
            ["Cdc-Outbox-Table"] = "public.outbox",
            ["Cdc-Outbox-Id"] = "5f0c1b2e-0000-0000-0000-000000000001",
            ["Cdc-Outbox-Aggregate-Type"] = "order",
            ["Cdc-Outbox-Aggregate-Id"] = "42",
            ["Cdc-Outbox-Type"] = "OrderCreated",
            ["Cdc-Commit-Lsn"] = "0/16B3748",
            ["Cdc-Xid"] = "771",
            ["Content-Type"] = "application/json",
        };
        var payload = Encoding.UTF8.GetBytes("""{"order":42}""");

        var decoded = CdcEventDecoder.Decode(new CdcEventEnvelope(9, "cdc.shop._outbox.order", headers, "outbox:public.outbox:1", DateTimeOffset.UnixEpoch, null), payload);

        var message = Assert.IsType<CdcOutboxMessage>(decoded);
        Assert.Equal("public.outbox", message.Table);
        Assert.Equal("order", message.AggregateType);
        Assert.Equal("42", message.AggregateId);
        Assert.Equal("OrderCreated", message.Type);
        Assert.Equal(771U, message.Xid);
        Assert.Null(message.BatchIndex);
        Assert.Equal(payload, message.Payload.ToArray());
    }
}
