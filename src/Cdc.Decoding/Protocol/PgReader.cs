using System.Buffers;
using System.Text;

namespace Cdc.Decoding.Protocol;

/// <summary>
/// Reads the fields of one pgoutput message. Every read is checked against the bytes left; a short or
/// malformed message becomes a <see cref="PgOutputException"/> naming the LSN, type and offset.
/// Contiguous messages (the usual case) take the single-span fast path of <see cref="SequenceReader{T}"/>.
/// </summary>
internal ref struct PgReader
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly ReadOnlySequence<byte> _sequence;
    private readonly ReadOnlyMemory<byte> _single;
    private readonly bool _isSingle;
    private SequenceReader<byte> _reader;

    public PgReader(ReadOnlySequence<byte> message, Lsn lsn, PgOutputOptions options)
    {
        _sequence = message;
        _isSingle = message.IsSingleSegment;
        _single = _isSingle ? message.First : default;
        _reader = new SequenceReader<byte>(message);
        Lsn = lsn;
        Options = options;

        // Not FirstSpan[0]: a sequence may start with an empty segment.
        MessageType = _reader.TryPeek(out var type) ? type : (byte)0;
    }

    public Lsn Lsn { get; }

    public PgOutputOptions Options { get; }

    /// <summary>The message's first byte (0 for an empty message).</summary>
    public byte MessageType { get; }

    public readonly long Offset => _reader.Consumed;

    public readonly long Remaining => _reader.Remaining;

    public byte ReadByte()
    {
        if (!_reader.TryRead(out var value))
        {
            throw Truncated(1);
        }

        return value;
    }

    public short ReadInt16()
    {
        if (!_reader.TryReadBigEndian(out short value))
        {
            throw Truncated(2);
        }

        return value;
    }

    public int ReadInt32()
    {
        if (!_reader.TryReadBigEndian(out int value))
        {
            throw Truncated(4);
        }

        return value;
    }

    public uint ReadUInt32() => unchecked((uint)ReadInt32());

    public long ReadInt64()
    {
        if (!_reader.TryReadBigEndian(out long value))
        {
            throw Truncated(8);
        }

        return value;
    }

    public ulong ReadUInt64() => unchecked((ulong)ReadInt64());

    public Lsn ReadLsn() => new(ReadUInt64());

    /// <summary>A NUL-terminated UTF-8 string (bounded by the message, itself bounded by MaxMessageBytes).</summary>
    public string ReadString(StringCache? cache = null)
    {
        if (_reader.UnreadSpan.IndexOf((byte)0) is var end and >= 0)
        {
            var span = _reader.UnreadSpan[..end];
            var text = end == 0 ? string.Empty : cache is null ? Utf8.GetString(span) : cache.Get(span, Utf8);
            _reader.Advance(end + 1);
            return text;
        }

        if (!_reader.TryReadTo(out ReadOnlySequence<byte> bytes, 0, advancePastDelimiter: true))
        {
            throw Error("string without its terminating NUL");
        }

        return Utf8.GetString(bytes);
    }

    /// <summary>
    /// Reads a length-prefixed value of <paramref name="length"/> bytes without copying when it is contiguous;
    /// the length must already be non-negative. Checked against the bytes left before anything is copied.
    /// </summary>
    public ReadOnlyMemory<byte> ReadBytes(int length, CopyBuffer copyBuffer)
    {
        if (length < 0 || length > _reader.Remaining)
        {
            throw Error($"length {length} exceeds the {_reader.Remaining} bytes left");
        }

        if (length == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (_isSingle)
        {
            var value = _single.Slice((int)_reader.Consumed, length);
            _reader.Advance(length);
            return value;
        }

        var slice = _sequence.Slice(_reader.Position, length);
        _reader.Advance(length);
        if (slice.IsSingleSegment)
        {
            return slice.First;
        }

        var copy = copyBuffer.Rent(length);
        slice.CopyTo(copy.Span);
        return copy;
    }

    /// <summary>Fails unless the whole message was read: trailing bytes mean a misunderstanding of the format.</summary>
    public readonly void ExpectEnd()
    {
        if (_reader.Remaining != 0)
        {
            throw Error($"{_reader.Remaining} unexpected bytes after the message");
        }
    }

    public readonly PgOutputException Error(string detail) => new(detail, Lsn, MessageType, _reader.Consumed);

    private readonly PgOutputException Truncated(int wanted)
        => Error($"message ends early: {wanted} bytes wanted, {_reader.Remaining} left");
}
