using System.Buffers;
using System.Text;
using Cdc.Sink.JetStream;

namespace Cdc.Sink.Tests.JetStream;

/// <summary>Whatever a server answers to a publish, the parser returns an ack or an error, never throws.</summary>
public sealed class PubAckTests
{
    private static PubAck Parse(string json) => PubAck.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void A_stored_message_gives_its_sequence()
    {
        var ack = Parse("""{"stream":"CDC","seq":42}""");
        Assert.Null(ack.Error);
        Assert.Equal(42UL, ack.Sequence);
        Assert.False(ack.Duplicate);
    }

    [Fact]
    public void A_duplicate_is_a_success_with_the_first_sequence()
    {
        var ack = Parse("""{"stream":"CDC","seq":7,"duplicate":true}""");
        Assert.Null(ack.Error);
        Assert.True(ack.Duplicate);
    }

    [Fact]
    public void A_JetStream_error_keeps_its_codes()
    {
        var ack = Parse("""{"error":{"code":400,"err_code":10060,"description":"expected stream does not match"}}""");
        Assert.Equal(400, ack.Error!.Code);
        Assert.Equal(10060, ack.Error.ErrCode);
    }

    [Theory]
    [InlineData("""{"stream":"CDC","seq":"12"}""")]
    [InlineData("""{"stream":"CDC","seq":-1}""")]
    [InlineData("""{"stream":"CDC","seq":1.5}""")]
    [InlineData("""{"stream":"CDC","seq":99999999999999999999999}""")]
    [InlineData("""{"stream":7,"seq":3}""")]
    [InlineData("""{"error":{"code":"x","err_code":1e99,"description":5}}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"stream":"CDC""")]
    [InlineData("")]
    public void A_malformed_reply_is_an_error_not_an_exception(string json)
    {
        var ack = Parse(json);
        if (json.StartsWith("""{"stream":7""", StringComparison.Ordinal))
        {
            Assert.Equal(3UL, ack.Sequence); // a non-string stream name is ignored, the sequence still counts
            return;
        }

        Assert.NotNull(ack.Error);
        Assert.Equal(0UL, ack.Sequence);
    }
}
