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

    [Fact]
    public void Headers_made_per_message_are_set_without_being_copied()
    {
        var headers = new PublishHeaders();
        var lists = Enumerable.Range(0, 100).Select(i => new KeyValuePair<string, string>[] { new("ce-id", "id" + i), new("Nats-Expected-Stream", "CDC") }).ToArray();
        headers.For("warm", lists[99], "x"); // the dictionary grows to its size once
        headers.For("warm", Common, null);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 99; i++)
        {
            headers.For("m", lists[i], "x");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(["Nats-Msg-Id=n", "ce-id=id98", "Nats-Expected-Stream=CDC"], Lines(headers.For("n", lists[98], null)));
        Assert.Equal(["Nats-Msg-Id=o", "Nats-Expected-Stream=CDC", "Content-Type=application/x-protobuf"], Lines(headers.For("o", Common, null)));
        Assert.Equal(["Nats-Msg-Id=p", "Nats-Expected-Stream=CDC", "Content-Type=application/x-protobuf", "Nats-Expected-Last-Msg-Id=o"], Lines(headers.For("p", Common, "o")));
    }

    private static string[] Lines(NATS.Client.Core.NatsHeaders headers) =>
        [.. headers.SelectMany(h => h.Value.Select(v => $"{h.Key}={v}"))];
}
