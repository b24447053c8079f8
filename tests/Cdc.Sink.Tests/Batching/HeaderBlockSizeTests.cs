namespace Cdc.Sink.Tests.Batching;

public sealed class HeaderBlockSizeTests
{
    [Fact]
    public void Shared_headers_are_counted_once_and_each_message_id_per_message()
    {
        KeyValuePair<string, string>[] common = [new("Nats-Expected-Stream", "CDC"), new("Content-Type", "application/x-protobuf")];
        var size = new HeaderBlockSize();

        // NATS/1.0\r\n + "Nats-Msg-Id: a\r\n" + "Nats-Expected-Stream: CDC\r\n" + "Content-Type: application/x-protobuf\r\n" + \r\n
        Assert.Equal(10 + 16 + 27 + 38 + 2, size.Of("a", common));
        Assert.Equal(10 + 18 + 27 + 38 + 2, size.Of("abc", common));
        Assert.Equal(10 + 16 + 2, size.Of("a", null));
        Assert.Equal(10 + 18 + 27 + 38 + 2, size.Of("abc", [.. common]));
    }

    [Fact]
    public void A_header_changed_in_the_same_array_is_checked_again()
    {
        KeyValuePair<string, string>[] common = [new("Nats-Expected-Stream", "CDC")];
        var size = new HeaderBlockSize();
        Assert.Equal(10 + 16 + 27 + 2, size.Of("a", common));

        common[0] = new("Bad Name", "x");
        Assert.Throws<ArgumentException>(() => size.Of("a", common));

        common[0] = new("Nats-Expected-Stream", "OTHER");
        Assert.Equal(10 + 16 + 29 + 2, size.Of("a", common));
    }

    [Fact]
    public void A_bad_message_id_is_refused_even_with_checked_headers()
    {
        KeyValuePair<string, string>[] common = [new("Nats-Expected-Stream", "CDC")];
        var size = new HeaderBlockSize();
        size.Of("a", common);

        Assert.Throws<ArgumentException>(() => size.Of("a\r\nb", common));
    }
}
