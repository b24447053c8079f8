using System.Buffers.Binary;
using System.IO.Compression;

namespace Cdc.Benchmarks.Capture;

/// <summary>
/// Captured XLogData messages in a gzip file: the magic <c>CDCXLOG1</c>, then per message UInt64 walStart,
/// UInt64 walEnd, Int32 length and the pgoutput bytes (big-endian, as on the wire).
/// </summary>
public static class CaptureFile
{
    private static readonly byte[] Magic = "CDCXLOG1"u8.ToArray();

    /// <summary>Largest message accepted when loading: the 1 MB jsonb rows fit with room to spare.</summary>
    private const int MaxMessageBytes = 64 << 20;

    public static void Write(string path, IReadOnlyList<CapturedMessage> messages)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        gzip.Write(Magic);
        Span<byte> header = stackalloc byte[20];
        foreach (var message in messages)
        {
            BinaryPrimitives.WriteUInt64BigEndian(header, message.WalStart);
            BinaryPrimitives.WriteUInt64BigEndian(header[8..], message.WalEnd);
            BinaryPrimitives.WriteInt32BigEndian(header[16..], message.Data.Length);
            gzip.Write(header);
            gzip.Write(message.Data.Span);
        }
    }

    /// <summary>Loads every message into one array, so replay reads contiguous memory.</summary>
    public static IReadOnlyList<CapturedMessage> Read(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var all = new MemoryStream();
        gzip.CopyTo(all);
        var bytes = all.GetBuffer().AsMemory(0, (int)all.Length);
        if (bytes.Length < Magic.Length || !bytes.Span[..Magic.Length].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path} is not a capture file (magic {System.Text.Encoding.ASCII.GetString(Magic)} missing)");
        }

        var messages = new List<CapturedMessage>();
        var position = Magic.Length;
        while (position < bytes.Length)
        {
            if (bytes.Length - position < 20)
            {
                throw new InvalidDataException($"{path}: truncated header at offset {position}");
            }

            var header = bytes.Span.Slice(position, 20);
            var walStart = BinaryPrimitives.ReadUInt64BigEndian(header);
            var walEnd = BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
            var length = BinaryPrimitives.ReadInt32BigEndian(header[16..]);
            position += 20;
            if (length <= 0 || length > MaxMessageBytes || length > bytes.Length - position)
            {
                throw new InvalidDataException($"{path}: message length {length} at offset {position} is out of range");
            }

            messages.Add(new CapturedMessage(walStart, walEnd, bytes.Slice(position, length)));
            position += length;
        }

        return messages;
    }
}
