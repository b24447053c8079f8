using System.Buffers;
using System.Text;
using Cdc.Sink.Nats;
using Cdc.Testing;

namespace Cdc.Sink.Tests.Nats;

public sealed class ProtocolParserTests
{
    private static readonly byte[] Wire = Encoding.ASCII.GetBytes(
        "INFO {\"server_id\":\"x\",\"max_payload\":1024}\r\nPING\r\nMSG a.b 7 5\r\nhello\r\n" +
        "HMSG _INBOX.x.42 1 reply.to 30 33\r\nNATS/1.0 503\r\nK: v\r\nX-A: 1\r\n\r\nabc\r\n-ERR 'Stale Connection'\r\n+OK\r\nPONG\r\n");

    [Fact]
    public void Every_prefix_parses_only_complete_operations()
    {
        var full = Parse(new ReadOnlySequence<byte>(Wire));
        for (var length = 0; length < Wire.Length; length++)
        {
            var partial = Parse(new ReadOnlySequence<byte>(Wire, 0, length));
            Assert.Equal(full.Take(partial.Count), partial);
        }

        Assert.Equal(["Info", "Ping", "Msg a.b 7  hello", "Msg _INBOX.x.42 1 reply.to abc", "Err Stale Connection", "Ok", "Pong"], full);
    }

    [Fact]
    public void One_byte_segments_parse_like_one_buffer()
    {
        Assert.Equal(Parse(new ReadOnlySequence<byte>(Wire)), Parse(Segments.PerByte(Wire)));
    }

    [Fact]
    public void A_message_longer_than_max_payload_is_a_protocol_error_before_any_allocation()
    {
        var wire = Encoding.ASCII.GetBytes("MSG a 1 999999999\r\n");
        var error = Assert.Throws<NatsProtocolException>(() => Parse(new ReadOnlySequence<byte>(wire)));
        Assert.Contains("max_payload", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_control_line_over_4096_bytes_is_a_protocol_error()
    {
        var wire = Encoding.ASCII.GetBytes("MSG " + new string('a', 5000) + " 1 1\r\nx\r\n");
        Assert.Throws<NatsProtocolException>(() => Parse(new ReadOnlySequence<byte>(wire)));
    }

    private static List<string> Parse(ReadOnlySequence<byte> buffer)
    {
        var parser = new ProtocolParser(1024);
        var reader = new SequenceReader<byte>(buffer);
        var ops = new List<string>();
        while (parser.TryRead(ref reader))
        {
            ops.Add(parser.Op switch
            {
                ServerOp.Msg => $"Msg {Encoding.ASCII.GetString(parser.Subject)} {parser.Sid} {Encoding.ASCII.GetString(parser.ReplyTo)} {Encoding.ASCII.GetString(parser.Payload.ToArray())}",
                ServerOp.Err => $"Err {parser.ErrorText()}",
                _ => parser.Op.ToString(),
            });
            if (parser.Op == ServerOp.Msg && !parser.Headers.IsEmpty)
            {
                var headers = NatsHeaders.Parse(parser.Headers);
                Assert.Equal(503, headers.Status);
                Assert.Equal("1", headers["x-a"]);
            }
        }

        return ops;
    }
}
