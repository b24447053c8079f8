using System.Buffers;
using Cdc.Listener.Source;
using Cdc.Testing;

namespace Cdc.Listener.Tests.Source;

public sealed class XLogFrameTests
{
    private static readonly (ulong Start, ulong End, byte[] Data)[] Frames =
    [
        (0x10, 0x20, "Bbegin"u8.ToArray()),
        (0, 0x30, []),
        (0x40, 0x50, Enumerable.Range(0, 300).Select(i => (byte)i).ToArray()),
    ];

    [Fact]
    public void Frames_read_back_whole_wherever_the_segments_split_them()
    {
        var bytes = Frames.SelectMany(f => Frame(f.Start, f.End, f.Data)).ToArray();
        for (var split = 0; split <= bytes.Length; split++)
        {
            var buffer = Segments.Of(bytes[..split], bytes[split..]);
            foreach (var (start, end, data) in Frames)
            {
                Assert.True(XLogFrame.TryRead(ref buffer, out var frame), $"split at {split}");
                Assert.Equal(start, frame.WalStart);
                Assert.Equal(end, frame.WalEnd);
                Assert.Equal(data, frame.Data.ToArray());
                if (frame.Bytes.TryGetMemory(out var memory))
                {
                    Assert.Equal(data, memory.ToArray());
                }
            }

            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void An_incomplete_frame_is_left_for_more_bytes()
    {
        var bytes = Frame(1, 2, "Cdone"u8.ToArray());
        for (var length = 0; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes[..length]);
            Assert.False(XLogFrame.TryRead(ref buffer, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void A_negative_length_is_a_corrupt_pipe()
    {
        var bytes = new byte[XLogFrame.HeaderSize];
        XLogFrame.WriteHeader(bytes, 1, 2, -1);
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Throws<InvalidDataException>(() => XLogFrame.TryRead(ref buffer, out _));
    }

    private static byte[] Frame(ulong start, ulong end, byte[] data)
    {
        var frame = new byte[XLogFrame.HeaderSize + data.Length];
        XLogFrame.WriteHeader(frame, start, end, data.Length);
        data.CopyTo(frame, XLogFrame.HeaderSize);
        return frame;
    }
}
