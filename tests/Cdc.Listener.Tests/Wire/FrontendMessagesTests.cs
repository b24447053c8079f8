using System.Buffers.Binary;
using System.Text;
using Cdc.Listener.Replication.Wire;

namespace Cdc.Listener.Tests.Wire;

public sealed class FrontendMessagesTests
{
    [Fact]
    public void Standby_status_update_is_CopyData_r_with_three_positions_the_clock_and_the_reply_flag()
    {
        var buffer = new byte[FrontendMessages.StandbyStatusUpdateSize];

        FrontendMessages.WriteStandbyStatusUpdate(buffer, 0x0102030405060708, 0x1112131415161718, 0x2122232425262728, -5, requestReply: true);

        Assert.Equal(39, buffer.Length);
        Assert.Equal((byte)'d', buffer[0]);
        Assert.Equal(38, BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(1)));
        Assert.Equal((byte)'r', buffer[5]);
        Assert.Equal(0x0102030405060708UL, BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(6)));
        Assert.Equal(0x1112131415161718UL, BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(14)));
        Assert.Equal(0x2122232425262728UL, BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(22)));
        Assert.Equal(-5L, BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(30)));
        Assert.Equal(1, buffer[38]);

        FrontendMessages.WriteStandbyStatusUpdate(buffer, 1, 1, 1, 0, requestReply: false);
        Assert.Equal(0, buffer[38]);
    }

    [Fact]
    public void Startup_is_length_protocol_3_0_name_value_pairs_and_a_final_NUL()
    {
        var message = FrontendMessages.Startup([new("user", "cdc"), new("database", "d\u00E9mo"), new("replication", "database")]);

        Assert.Equal(message.Length, BinaryPrimitives.ReadInt32BigEndian(message));
        Assert.Equal(3 << 16, BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(4)));
        Assert.Equal("user\0cdc\0database\0d\u00E9mo\0replication\0database\0\0", Encoding.UTF8.GetString(message.AsSpan(8)));
    }

    [Fact]
    public void Startup_refuses_a_NUL_inside_a_value()
    {
        var e = Assert.Throws<ArgumentException>(() => FrontendMessages.Startup([new("user", "a\0b")]));

        Assert.Contains("a\\0b", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ssl_request_is_8_bytes_with_the_magic_code()
    {
        var message = FrontendMessages.SslRequest();

        Assert.Equal(new byte[] { 0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F }, message);
    }

    [Fact]
    public void Typed_messages_carry_their_code_length_and_NUL_terminated_text()
    {
        Assert.Equal("Q\0\0\0\u000BSELECT\0"u8.ToArray(), FrontendMessages.Query("SELECT"));
        Assert.Equal("p\0\0\0\u0007pw\0"u8.ToArray(), FrontendMessages.Password("pw"u8));
        Assert.Equal("c\0\0\0\u0004"u8.ToArray(), FrontendMessages.CopyDone());
        Assert.Equal("X\0\0\0\u0004"u8.ToArray(), FrontendMessages.Terminate());
    }

    [Fact]
    public void Sasl_initial_response_has_the_mechanism_and_a_length_prefixed_client_first_message()
    {
        var message = FrontendMessages.SaslInitialResponse("SCRAM-SHA-256", "n,,n=,r=abc"u8);

        Assert.Equal((byte)'p', message[0]);
        Assert.Equal(message.Length - 1, BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(1)));
        Assert.Equal("SCRAM-SHA-256\0", Encoding.ASCII.GetString(message, 5, 14));
        Assert.Equal(11, BinaryPrimitives.ReadInt32BigEndian(message.AsSpan(19)));
        Assert.Equal("n,,n=,r=abc", Encoding.ASCII.GetString(message, 23, 11));
        Assert.Equal(34, message.Length);
    }
}
