using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Cdc.Listener.Source;

/// <summary>
/// How one XLogData message travels through the listener's pipe: a 20-byte header
/// (Int64 walStart, Int64 walEnd, Int32 length, big-endian) followed by the pgoutput message bytes.
/// </summary>
public readonly struct XLogFrame
{
    public const int HeaderSize = 20;

    /// <summary>
    /// The frame pipe between the replication session and the decoder: bounded at 1 MiB (a larger message still
    /// passes whole), so a slow decoder stops the session reading the socket and the walsender waits instead of Cdc
    /// buffering. Kept small so that its 64 KiB segments stay within what the shared array pool keeps (about 32 per
    /// core): at 8 MiB a writer running ahead took up to 128 segments and allocated the excess afresh. The decoder
    /// runs where <paramref name="handOff"/> puts it.
    /// </summary>
    internal static Pipe CreatePipe(DecoderHandOff handOff) => new(new PipeOptions(
        readerScheduler: handOff,
        pauseWriterThreshold: 1024 * 1024,
        resumeWriterThreshold: 512 * 1024,
        minimumSegmentSize: 64 * 1024,
        useSynchronizationContext: false));

    public XLogFrame(ulong walStart, ulong walEnd, BufferedBytes bytes)
    {
        WalStart = walStart;
        WalEnd = walEnd;
        Bytes = bytes;
    }

    public ulong WalStart { get; }

    public ulong WalEnd { get; }

    /// <summary>The pgoutput message; valid until the pipe reader is advanced.</summary>
    public BufferedBytes Bytes { get; }

    /// <summary>The pgoutput message as a sequence (<see cref="Bytes"/> is cheaper to read).</summary>
    public ReadOnlySequence<byte> Data => Bytes.Sequence;

    public static void WriteHeader(Span<byte> destination, ulong walStart, ulong walEnd, int length)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, walStart);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], walEnd);
        BinaryPrimitives.WriteInt32BigEndian(destination[16..], length);
    }

    /// <summary>Reads one whole frame from the front of <paramref name="buffer"/>; false when it is incomplete.</summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out XLogFrame frame)
    {
        var first = buffer.First;
        if (first.Length >= HeaderSize)
        {
            // The usual case: the whole frame in the first segment, read by index.
            var span = first.Span;
            var size = BinaryPrimitives.ReadInt32BigEndian(span[16..]);
            if (size >= 0 && first.Length - HeaderSize >= size)
            {
                frame = new XLogFrame(BinaryPrimitives.ReadUInt64BigEndian(span), BinaryPrimitives.ReadUInt64BigEndian(span[8..]), new BufferedBytes(first.Slice(HeaderSize, size)));
                buffer = buffer.Slice(HeaderSize + size);
                return true;
            }
        }

        frame = default;
        if (buffer.Length < HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var length = BinaryPrimitives.ReadInt32BigEndian(header[16..]);
        if (length < 0)
        {
            throw new InvalidDataException($"corrupt frame in the listener's pipe (length {length})");
        }

        if (buffer.Length < HeaderSize + (long)length)
        {
            return false;
        }

        frame = new XLogFrame(
            BinaryPrimitives.ReadUInt64BigEndian(header),
            BinaryPrimitives.ReadUInt64BigEndian(header[8..]),
            new BufferedBytes(buffer.Slice(HeaderSize, length)));
        buffer = buffer.Slice(HeaderSize + (long)length);
        return true;
    }
}
