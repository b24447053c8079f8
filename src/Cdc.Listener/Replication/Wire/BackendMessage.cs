using System.Buffers;
using System.Buffers.Binary;

namespace Cdc.Listener.Replication.Wire;

/// <summary>One backend message: its type byte and body (without the length). Valid until the next read.</summary>
internal readonly struct BackendMessage(BackendMessageCode code, ReadOnlySequence<byte> body)
{
    private const int HeaderSize = 5;

    public BackendMessageCode Code { get; } = code;

    public ReadOnlySequence<byte> Body { get; } = body;

    /// <summary>
    /// Reads one whole message from the front of <paramref name="buffer"/>; false when it is incomplete. A length
    /// below 4 or above <paramref name="maxBodyBytes"/> is rejected as soon as the header is there, before the
    /// body is waited for, so a corrupt length can neither hang the reader nor make it buffer without bound.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxBodyBytes, out BackendMessage message)
    {
        message = default;
        byte code;
        int length;
        var first = buffer.FirstSpan;
        if (first.Length >= HeaderSize)
        {
            code = first[0];
            length = BinaryPrimitives.ReadInt32BigEndian(first[1..]);
        }
        else
        {
            if (buffer.Length < HeaderSize)
            {
                return false;
            }

            Span<byte> header = stackalloc byte[HeaderSize];
            buffer.Slice(0, HeaderSize).CopyTo(header);
            code = header[0];
            length = BinaryPrimitives.ReadInt32BigEndian(header[1..]);
        }

        if (length < 4 || length - 4 > maxBodyBytes)
        {
            throw new PgProtocolException(
                $"PostgreSQL sent a '{(char)code}' message of length {length} (allowed 4 to {(long)maxBodyBytes + 4}): the connection is corrupt or not a PostgreSQL server");
        }

        if (buffer.Length < 1L + length)
        {
            return false;
        }

        message = new BackendMessage((BackendMessageCode)code, buffer.Slice(HeaderSize, length - 4));
        buffer = buffer.Slice(1L + length);
        return true;
    }
}
