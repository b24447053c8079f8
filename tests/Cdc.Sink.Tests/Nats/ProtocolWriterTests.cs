using System.Buffers;
using System.Text;
using Cdc.Sink.Nats;

namespace Cdc.Sink.Tests.Nats;

public sealed class ProtocolWriterTests
{
    private static readonly byte[] Xyz = "xyz"u8.ToArray();

    [Fact]
    public void Publish_without_headers_or_reply_is_a_plain_PUB()
        => Assert.Equal("PUB a.b 3\r\nxyz\r\n", Write(new NatsPublishItem("a.b", Xyz)));

    [Fact]
    public void Publish_with_a_reply_subject_names_it()
        => Assert.Equal("PUB a.b _INBOX.x 3\r\nxyz\r\n", Write(new NatsPublishItem("a.b", Xyz, ReplyTo: "_INBOX.x")));

    [Fact]
    public void Muxed_reply_is_the_prefix_followed_by_the_token_and_the_message_id_is_the_first_header()
        => Assert.Equal(
            "HPUB cdc.t _INBOX.abc.42 31 34\r\nNATS/1.0\r\nNats-Msg-Id: id-1\r\n\r\nxyz\r\n",
            Write(new NatsPublishItem("cdc.t", Xyz, "id-1", null, "_INBOX.abc.", 42)));

    [Fact]
    public void Extra_headers_follow_the_message_id_in_utf8()
    {
        var item = new NatsPublishItem("cdc.t", ReadOnlyMemory<byte>.Empty, "s:1", [new("Cdc-Table", "tä"), new("K", "v")]);
        // NATS/1.0 CRLF (10) + "Nats-Msg-Id: s:1" CRLF (18) + "Cdc-Table: tä" CRLF (16) + "K: v" CRLF (6) + CRLF (2).
        Assert.Equal(52, item.HeaderLength);
        Assert.Equal("HPUB cdc.t 52 52\r\nNATS/1.0\r\nNats-Msg-Id: s:1\r\nCdc-Table: tä\r\nK: v\r\n\r\n\r\n", Write(item));
    }

    [Fact]
    public void A_payload_larger_than_a_control_line_is_written_after_the_headers_the_same_way()
    {
        var payload = new byte[3 * ProtocolWriter.MaxControlLine];
        Array.Fill(payload, (byte)'p');
        var text = Write(new NatsPublishItem("big", payload, "id", null, "_INBOX.z.", 7));
        Assert.Equal("HPUB big _INBOX.z.7 29 12317\r\nNATS/1.0\r\nNats-Msg-Id: id\r\n\r\n" + new string('p', payload.Length) + "\r\n", text);
    }

    [Fact]
    public void Header_length_is_measured_again_when_headers_or_id_are_replaced()
    {
        var item = new NatsPublishItem("a", Xyz, "id");
        var withHeaders = item with { Headers = [new("Cdc-Payload-Omitted", "max_payload")] };
        var withoutAny = withHeaders with { MessageId = null, Headers = null };
        Assert.Equal(Write(new NatsPublishItem("a", Xyz, "id", [new("Cdc-Payload-Omitted", "max_payload")])), Write(withHeaders));
        Assert.Equal(withHeaders.HeaderLength + 3, withHeaders.Size);
        Assert.Equal((0, 3L), (withoutAny.HeaderLength, withoutAny.Size));
        Assert.Equal("PUB a 3\r\nxyz\r\n", Write(withoutAny));
    }

    [Fact]
    public void Headers_changed_after_the_item_was_made_are_refused_before_anything_is_written()
    {
        var headers = new List<KeyValuePair<string, string>> { new("K", "v") };
        var item = new NatsPublishItem("a", Xyz, "id", headers);
        headers.Add(new("Another", "header"));
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<InvalidOperationException>(() => ProtocolWriter.WritePublish(output, item));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData("a b", null, null, null, null)]
    [InlineData("", null, null, null, null)]
    [InlineData("a.\u00e4", null, null, null, null)]
    [InlineData("a", "_INBOX.x y", null, null, null)]
    [InlineData("a", "r\r\nPUB b 1", null, null, null)]
    [InlineData("a", null, "id\r\nX: 1", null, null)]
    [InlineData("a", null, "id", "Bad: name", "v")]
    [InlineData("a", null, "id", "K", "v\r\n")]
    public void An_item_NATS_cannot_carry_is_refused_when_it_is_made(string subject, string? replyTo, string? messageId, string? name, string? value)
    {
        IReadOnlyList<KeyValuePair<string, string>>? headers = name is null ? null : [new(name, value!)];
        Assert.Throws<ArgumentException>(() => new NatsPublishItem(subject, Xyz, messageId, headers, replyTo));
        var valid = new NatsPublishItem("a", Xyz);
        Assert.Throws<ArgumentException>(() => valid with { Subject = subject, ReplyTo = replyTo, MessageId = messageId, Headers = headers });
    }

    private static string Write(NatsPublishItem item)
    {
        var output = new ArrayBufferWriter<byte>();
        ProtocolWriter.WritePublish(output, item);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
