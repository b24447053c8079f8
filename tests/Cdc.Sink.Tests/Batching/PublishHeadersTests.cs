namespace Cdc.Sink.Tests.Batching;

public sealed class PublishHeadersTests
{
    private static readonly KeyValuePair<string, string>[] Common = [new("Nats-Expected-Stream", "CDC"), new("Content-Type", "application/x-protobuf")];

    [Fact]
    public void Each_publish_gets_its_id_the_producers_headers_and_the_chain_header_only_when_asked()
    {
        var headers = new PublishHeaders();

        Assert.Equal(["Nats-Msg-Id=a", "Nats-Expected-Stream=CDC", "Content-Type=application/x-protobuf"], Lines(headers.For("a", Common, null)));
        Assert.Equal(["Nats-Msg-Id=b", "Nats-Expected-Stream=CDC", "Content-Type=application/x-protobuf", "Nats-Expected-Last-Msg-Id=a"], Lines(headers.For("b", Common, "a")));
        Assert.Equal(["Nats-Msg-Id=c", "Nats-Expected-Stream=CDC", "Content-Type=application/x-protobuf", "Nats-Expected-Last-Msg-Id=b"], Lines(headers.For("c", Common, "b")));
        Assert.Equal(["Nats-Msg-Id=d", "Nats-Expected-Stream=CDC", "Content-Type=application/x-protobuf"], Lines(headers.For("d", Common, null)));
        Assert.Equal(["Nats-Msg-Id=e", "Cdc-Table=orders", "Nats-Expected-Last-Msg-Id=d"], Lines(headers.For("e", [new("Cdc-Table", "orders")], "d")));
        Assert.Equal(["Nats-Msg-Id=f"], Lines(headers.For("f", null, null)));
    }

    [Fact]
    public void Headers_someone_else_added_to_the_dictionary_are_gone_at_the_next_publish()
    {
        var headers = new PublishHeaders();
        headers.For("a", Common, "z")["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        Assert.Equal(["Nats-Msg-Id=b", "Nats-Expected-Stream=CDC", "Content-Type=application/x-protobuf", "Nats-Expected-Last-Msg-Id=a"], Lines(headers.For("b", Common, "a")));
    }

    [Fact]
    public void A_producer_header_with_a_name_the_writer_sets_is_applied_as_if_set_after_the_id()
    {
        var headers = new PublishHeaders();
        KeyValuePair<string, string>[] overriding = [new("nats-msg-id", "producer-id")];

        Assert.Equal(["Nats-Msg-Id=producer-id", "Nats-Expected-Last-Msg-Id=x"], Lines(headers.For("a", overriding, "x")));
        Assert.Equal(["Nats-Msg-Id=producer-id"], Lines(headers.For("b", overriding, null)));
    }

    private static string[] Lines(NATS.Client.Core.NatsHeaders headers) =>
        [.. headers.SelectMany(h => h.Value.Select(v => $"{h.Key}={v}"))];
}
