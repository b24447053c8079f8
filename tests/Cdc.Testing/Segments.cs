using System.Buffers;

namespace Cdc.Testing;

/// <summary>Builds multi-segment sequences, so parsers are tested on their slow path across segment borders.</summary>
public static class Segments
{
    /// <summary>Every byte in its own segment.</summary>
    public static ReadOnlySequence<byte> PerByte(ReadOnlySpan<byte> bytes)
    {
        var chunks = new byte[bytes.Length][];
        for (var i = 0; i < bytes.Length; i++)
        {
            chunks[i] = [bytes[i]];
        }

        return Of(chunks);
    }

    /// <summary>The data after an empty first segment, as a pipe may produce.</summary>
    public static ReadOnlySequence<byte> AfterEmptySegment(byte[] data) => Of([], data);

    /// <summary>One segment per chunk, in order (empty chunks included).</summary>
    public static ReadOnlySequence<byte> Of(params byte[][] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        var last = first;
        foreach (var chunk in chunks.Skip(1))
        {
            last = last.Append(chunk);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
