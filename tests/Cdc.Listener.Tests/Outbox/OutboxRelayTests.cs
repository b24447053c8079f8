using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;
using Cdc.Listener.Outbox;
using Cdc.Listener.Pipeline;
using Cdc.Listener.Delivery;
using Cdc.Sink;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Listener.Tests.Outbox;

public sealed class OutboxRelayTests
{
    private static readonly RelationInfo Debezium = Relation("outbox", ("id", 2950, "uuid"), ("aggregatetype", 1043, "varchar"), ("aggregateid", 1043, "varchar"),
        ("type", 1043, "varchar"), ("payload", 3802, "jsonb"), ("headers", 3802, "jsonb"), ("created_at", 1184, "timestamptz"));

    private static readonly RelationInfo Egress = Relation("egress", ("batch_id", 20, "int8"), ("in_flight", 16, "bool"), ("message_count", 23, "int4"),
        ("write_retries", 23, "int4"), ("last_write_error", 25, "text"), ("raw_data", 17, "bytea"));

    private static RelationInfo Relation(string name, params (string Name, uint Oid, string Type)[] columns)
        => new(16384, "public", name, ReplicaIdentity.Default, columns.Select((c, i) => new ColumnInfo(c.Name, c.Oid, c.Type, -1, i == 0)).ToList());

    private static OutboxRelay Relay(params string[] tables)
        => new(new OutboxSection { Tables = [.. tables] }, () => "Host=127.0.0.1;Port=1", NullLogger.Instance);

    [Fact]
    public void The_shape_is_recognised_from_the_columns_extra_columns_allowed()
    {
        var debezium = OutboxTable.Recognise(Debezium);
        var egress = OutboxTable.Recognise(Egress);

        Assert.Equal(OutboxShape.Debezium, debezium.Shape);
        Assert.Equal(5, debezium.Headers);
        Assert.Equal("_outbox.public.outbox", debezium.StatusName);
        Assert.Equal(OutboxShape.Egress, egress.Shape);
        Assert.Equal(5, egress.Payload);
        Assert.Equal("batch_id", egress.KeyColumn.Name);
    }

    [Fact]
    public void A_configured_table_of_neither_shape_is_refused_in_one_line_naming_it()
    {
        var error = Assert.Throws<CdcConfigurationException>(() => OutboxTable.Recognise(Relation("events", ("id", 20, "int8"), ("body", 25, "text"))));

        Assert.StartsWith("Cdc:Outbox:Tables names public.events, whose columns (id, body) are neither", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_configured_tables_are_outboxes_and_a_bare_name_means_public()
    {
        await using var relay = Relay("outbox");

        Assert.NotNull(relay.Find(Debezium));
        Assert.Null(relay.Find(Egress));
    }

    [Fact]
    public async Task An_outbox_message_NATS_refuses_settles_its_place_so_the_flush_LSN_moves_and_is_counted()
    {
        await using var relay = Relay("public.outbox");
        var ledger = new DeliveryLedger();
        var router = new AckRouter(ledger, new SinkStatus(), new SessionStatus(), NullLogger.Instance, relay);
        var chunk = new Chunk(0, 0x10, 0x20, 0, isLastOfTransaction: true, capacity: 2);
        var refused = Message(chunk, "outbox:public.outbox:a");
        var stored = Message(chunk, "outbox:public.outbox:b");
        chunk.Add(refused);
        chunk.Add(stored);
        var table = relay.Find(Debezium)!;
        relay.Track(refused, new OutboxRow(table, "a", 1));
        relay.Track(stored, new OutboxRow(table, "b", 1));
        await ledger.PushAsync(chunk);

        router.OnFailed(refused, new MessageTooLargeException(refused.Subject, 2_000_000, 1_048_576));
        router.OnAcked(stored, 7);

        Assert.Null(router.Failure);
        Assert.Equal(0x20UL, ledger.Tracker.FlushLsn);
        var counters = relay.Counters;
        Assert.Equal((1L, 1L), (counters.Relayed, counters.Refused));
        Assert.StartsWith("public.outbox a: outbox:public.outbox:a: message for", counters.LastRefusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_row_change_the_sink_refuses_still_stops_the_pipeline_with_an_outbox_configured()
    {
        await using var relay = Relay("public.outbox");
        var router = new AckRouter(new DeliveryLedger(), new SinkStatus(), new SessionStatus(), NullLogger.Instance, relay);

        router.OnFailed(Message(null, "cdc:0000000000000010:0"), new MessageTooLargeException("cdc.db.public.t", 2_000_000, 1_048_576));

        Assert.IsType<SinkDeliveryException>(router.Failure);
        Assert.Equal(0, relay.Counters.Refused);
    }

    [Theory]
    [InlineData("order", "cdc.shop._outbox.order")]
    [InlineData("order.created", "cdc.shop._outbox.order.created")]
    [InlineData("a*.>. b", "cdc.shop._outbox.a_._._b")]
    [InlineData("a..b", "cdc.shop._outbox.a._.b")]
    public void Subjects_from_a_column_keep_their_dots_and_lose_wildcards(string value, string subject)
        => Assert.Equal(subject, new SubjectMapper("cdc", "shop", includeOperation: false).ForOutbox(value));

    private static OutboundMessage Message(Chunk? chunk, string id) => new()
    {
        Kind = MessageKind.WriteTable,
        Table = "_outbox.public.outbox",
        Subject = "cdc.db._outbox.order",
        MessageId = id,
        Payload = new byte[] { 1 },
        State = chunk,
    };
}
