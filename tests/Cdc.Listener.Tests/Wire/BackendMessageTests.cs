using System.Buffers;
using Cdc.Listener.Replication.Wire;
using Cdc.Testing;

namespace Cdc.Listener.Tests.Wire;

public sealed class BackendMessageTests
{
    private const int Cap = 1024;

    // CopyData with a 7-byte body, then ReadyForQuery('I').
    private static readonly byte[] TwoMessages =
    [
        (byte)'d', 0, 0, 0, 11, (byte)'w', 1, 2, 3, 4, 5, 6,
        (byte)'Z', 0, 0, 0, 5, (byte)'I',
    ];

    private const int FirstLength = 12;

    [Fact]
    public void Every_prefix_of_a_message_is_incomplete_and_leaves_the_buffer_alone()
    {
        for (var length = 0; length < FirstLength; length++)
        {
            AssertIncomplete(new ReadOnlySequence<byte>(TwoMessages, 0, length));
            AssertIncomplete(Segments.PerByte(TwoMessages.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Whole_messages_are_read_in_order_from_one_span_and_from_one_byte_segments()
    {
        foreach (var sequence in new[] { new ReadOnlySequence<byte>(TwoMessages), Segments.PerByte(TwoMessages) })
        {
            var buffer = sequence;

            Assert.True(BackendMessage.TryRead(ref buffer, Cap, out var copyData));
            Assert.Equal(BackendMessageCode.CopyData, copyData.Code);
            Assert.Equal(new byte[] { (byte)'w', 1, 2, 3, 4, 5, 6 }, copyData.Body.ToArray());
            Assert.Equal(TwoMessages.Length - FirstLength, buffer.Length);

            Assert.True(BackendMessage.TryRead(ref buffer, Cap, out var ready));
            Assert.Equal(BackendMessageCode.ReadyForQuery, ready.Code);
            Assert.Equal(new byte[] { (byte)'I' }, ready.Body.ToArray());
            Assert.True(buffer.IsEmpty);

            Assert.False(BackendMessage.TryRead(ref buffer, Cap, out _));
        }
    }

    [Fact]
    public void Second_message_prefixes_are_incomplete_after_the_first_is_read()
    {
        for (var length = FirstLength; length < TwoMessages.Length; length++)
        {
            var buffer = Segments.PerByte(TwoMessages.AsSpan(0, length));
            Assert.True(BackendMessage.TryRead(ref buffer, Cap, out _));
            AssertIncomplete(buffer);
        }
    }

    [Fact]
    public void Empty_body_is_a_whole_message()
    {
        var buffer = new ReadOnlySequence<byte>([(byte)'c', 0, 0, 0, 4]);

        Assert.True(BackendMessage.TryRead(ref buffer, Cap, out var copyDone));
        Assert.Equal(BackendMessageCode.CopyDone, copyDone.Code);
        Assert.True(copyDone.Body.IsEmpty);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(Cap + 5)]
    [InlineData(int.MaxValue)]
    public void Length_below_4_or_above_the_cap_throws_as_soon_as_the_header_is_there(int length)
    {
        var header = new byte[] { (byte)'d', (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length };
        foreach (var sequence in new[] { new ReadOnlySequence<byte>(header), Segments.PerByte(header) })
        {
            var buffer = sequence;

            var e = Assert.Throws<PgProtocolException>(() => BackendMessage.TryRead(ref buffer, Cap, out _));

            Assert.Contains($"length {length}", e.Message, StringComparison.Ordinal);
            Assert.True(e.IsTransient);
        }

        // Four header bytes are not enough to know the length: still just incomplete.
        AssertIncomplete(new ReadOnlySequence<byte>(header, 0, 4));
    }

    [Fact]
    public void Body_exactly_at_the_cap_is_accepted()
    {
        var message = new byte[5 + Cap];
        message[0] = (byte)'d';
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), Cap + 4);
        var buffer = new ReadOnlySequence<byte>(message);

        Assert.True(BackendMessage.TryRead(ref buffer, Cap, out var read));
        Assert.Equal(Cap, read.Body.Length);
    }

    private static void AssertIncomplete(ReadOnlySequence<byte> sequence)
    {
        var buffer = sequence;
        Assert.False(BackendMessage.TryRead(ref buffer, Cap, out _));
        Assert.Equal(sequence.Length, buffer.Length);
        Assert.Equal(sequence.Start, buffer.Start);
    }
}
