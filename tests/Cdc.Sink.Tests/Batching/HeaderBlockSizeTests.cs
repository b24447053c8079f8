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

    [Fact]
    public void Headers_made_per_message_are_counted_without_being_copied()
    {
        var size = new HeaderBlockSize();
        var lists = Enumerable.Range(0, 100).Select(i => new KeyValuePair<string, string>[] { new("ce-id", "id" + i) }).ToArray();
        size.Of("a", lists[99]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var total = 0;
        for (var i = 0; i < 99; i++)
        {
            total += size.Of("a", lists[i]);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // "Nats-Msg-Id: a\r\n" + "ce-id: idN\r\n" (10 ids of one digit, 89 of two)
        Assert.Equal(99 * (10 + 16 + 2) + 10 * 12 + 89 * 13, total);
    }
}
