using Cdc.Listener.Delivery;
using Cdc.Listener.Telemetry;
using static Cdc.Listener.Tests.Delivery.TestChunks;

namespace Cdc.Listener.Tests.Telemetry;

/// <summary>The per-area owners of the live numbers: what /status and /metrics read from each.</summary>
public sealed class AreaOwnerTests
{
    [Fact]
    public async Task Delivery_status_reads_the_attached_ledger_and_shows_nothing_in_flight_before()
    {
        var delivery = new DeliveryStatus();
        Assert.Equal((0L, 0, 0), delivery.InFlight);
        Assert.Null(delivery.Counters);

        var ledger = new DeliveryLedger();
        delivery.Attach(ledger);
        await ledger.PushAsync(Whole(1, 0x100, messages: 3, bytesPerMessage: 10));
        await ledger.PushAsync(Whole(2, 0x200, messages: 1, bytesPerMessage: 10));

        Assert.Equal((40L, 2, 2), delivery.InFlight);
        Assert.Equal(ledger.Counters, delivery.Counters);
    }

    [Fact]
    public void Sink_status_keeps_the_highest_stream_sequence_when_acks_arrive_out_of_order()
    {
        var sink = new SinkStatus();

        sink.SetStreamSequence(7);
        sink.SetStreamSequence(5);

        Assert.Equal(7UL, sink.LastStreamSequence);
        Assert.Null(sink.PendingAcks);
    }

    [Fact]
    public void The_instance_description_keeps_the_sink_server_masked_when_the_server_adds_the_database()
    {
        var session = new SessionStatus();
        session.Instance = new InstanceDescription { Slot = "cdc", SinkServer = "nats://alice:s3cret@h1:4222" };

        session.Instance = session.Instance with { Database = "shop", ProtocolVersion = 4 };

        Assert.Equal(("cdc", "shop", 4), (session.Instance.Slot, session.Instance.Database, session.Instance.ProtocolVersion));
        Assert.Equal("nats://alice:***@h1:4222", session.Instance.SinkServer);
    }
}
