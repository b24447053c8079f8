using Cdc.Listener.Delivery;
using Cdc.Listener.Pipeline;
using Cdc.Listener.Telemetry;
using Cdc.Sink;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Listener.Tests.Pipeline;

public sealed class AckRouterTests
{
    private static OutboundMessage Message() => new()
    {
        Kind = MessageKind.WriteTable,
        Table = "public.t",
        Subject = "cdc.db.public.t",
        MessageId = "cdc:0000000000000010:0",
        Payload = new byte[] { 1 },
    };

    [Fact]
    public void A_change_the_sink_refuses_stops_the_pipeline_and_is_counted()
    {
        var session = new SessionStatus();
        var router = new AckRouter(new DeliveryLedger(), new SinkStatus(), session, NullLogger.Instance);

        router.OnFailed(Message(), new MessageTooLargeException("cdc.db.public.t", 2_000_000, 1_048_576));

        Assert.IsType<SinkDeliveryException>(router.Failure);
        Assert.Equal(1, session.Errors);
    }

    [Fact]
    public void A_change_left_unacked_when_the_sink_is_disposed_is_not_a_failure()
    {
        // The slot was never confirmed past it, so the next start delivers it again.
        var session = new SessionStatus();
        var router = new AckRouter(new DeliveryLedger(), new SinkStatus(), session, NullLogger.Instance);

        router.OnFailed(Message(), new SinkStoppedException("cdc:0000000000000010:0"));

        Assert.Null(router.Failure);
        Assert.Equal(0, session.Errors);
    }
}
