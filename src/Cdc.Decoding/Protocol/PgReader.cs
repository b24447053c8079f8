using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Cdc.Decoding.Protocol;

/// <summary>
/// Reads the fields of one pgoutput message. Every read is checked against the bytes left; a short or
/// malformed message becomes a <see cref="PgOutputException"/> naming the LSN, type and offset.
/// Contiguous messages (the usual case) are read straight from one span; only messages spanning segments go
/// through <see cref="SequenceReader{T}"/>, whose per-read bookkeeping costs several times more.
/// </summary>
internal ref struct PgReader
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly ReadOnlySequence<byte> _sequence;
    private readonly ReadOnlyMemory<byte> _single;
    private readonly bool _isSingle;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;
    private SequenceReader<byte> _reader;

    public PgReader(ReadOnlySequence<byte> message, Lsn lsn, PgOutputOptions options)
    {
        if (message.IsSingleSegment)
        {
            this = new PgReader(message.First, lsn, options);
            return;
        }

        _sequence = message;
        _reader = new SequenceReader<byte>(message);
        Lsn = lsn;
        Options = options;

        // Not FirstSpan[0]: a sequence may start with an empty segment.
        MessageType = _reader.TryPeek(out var type) ? type : (byte)0;
    }

    /// <summary>A contiguous message: no sequence is built, which costs more than reading a small message.</summary>
    public PgReader(ReadOnlyMemory<byte> message, Lsn lsn, PgOutputOptions options)
    {
        _isSingle = true;
        _single = message;
        _span = message.Span;
        Lsn = lsn;
        Options = options;
        MessageType = _span.IsEmpty ? (byte)0 : _span[0];
    }

    public Lsn Lsn { get; }

    public PgOutputOptions Options { get; }

    /// <summary>The message's first byte (0 for an empty message).</summary>
    public byte MessageType { get; }

    public readonly long Offset => _isSingle ? _position : _reader.Consumed;

    /// <summary>True when the message is one span (<see cref="UnreadSpan"/>), false when it spans segments (<see cref="UnreadSequence"/>).</summary>
    public readonly bool IsContiguous => _isSingle;

    /// <summary>The bytes not read yet of a contiguous message.</summary>
    public readonly ReadOnlySpan<byte> UnreadSpan => _isSingle ? _span[_position..] : throw new InvalidOperationException("the message spans segments");

    /// <summary>The bytes not read yet, as a sequence (for a message that spans segments).</summary>
    public readonly ReadOnlySequence<byte> UnreadSequence => _isSingle ? new ReadOnlySequence<byte>(_single[_position..]) : _sequence.Slice(_reader.Position);

    public readonly long Remaining => _isSingle ? _span.Length - _position : _reader.Remaining;

    public byte ReadByte()
    {
        if (_isSingle)
        {
            if ((uint)_position >= (uint)_span.Length)
            {
                throw Truncated(1);
            }

            return _span[_position++];
        }

        if (!_reader.TryRead(out var value))
        {
            throw Truncated(1);
        }

        return value;
    }

    public short ReadInt16()
    {
        if (_isSingle)
        {
            if (_span.Length - _position < 2)
            {
                throw Truncated(2);
            }

            var read = BinaryPrimitives.ReadInt16BigEndian(_span[_position..]);
            _position += 2;
            return read;
        }

        if (!_reader.TryReadBigEndian(out short value))
        {
            throw Truncated(2);
        }

        return value;
    }

    public int ReadInt32()
    {
        if (_isSingle)
        {
            if (_span.Length - _position < 4)
            {
                throw Truncated(4);
            }

            var read = BinaryPrimitives.ReadInt32BigEndian(_span[_position..]);
            _position += 4;
            return read;
        }

        if (!_reader.TryReadBigEndian(out int value))
        {
            throw Truncated(4);
        }

        return value;
    }

    public uint ReadUInt32() => unchecked((uint)ReadInt32());

    public long ReadInt64()
    {
        if (_isSingle)
        {
            if (_span.Length - _position < 8)
            {
                throw Truncated(8);
            }

            var read = BinaryPrimitives.ReadInt64BigEndian(_span[_position..]);
            _position += 8;
            return read;
        }

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
        if (_isSingle)
        {
            var rest = _span[_position..];
            var length = rest.IndexOf((byte)0);
            if (length < 0)
            {
                throw Error("string without its terminating NUL");
            }

            var value = length == 0 ? string.Empty : cache is null ? Utf8.GetString(rest[..length]) : cache.Get(rest[..length], Utf8);
            _position += length + 1;
            return value;
        }

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
        if (length < 0 || length > Remaining)
        {
            throw Error($"length {length} exceeds the {Remaining} bytes left");
        }

        if (length == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (_isSingle)
        {
            var value = _single.Slice(_position, length);
            _position += length;
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
        if (Remaining != 0)
        {
            throw Error($"{Remaining} unexpected bytes after the message");
        }
    }

    public readonly PgOutputException Error(string detail) => new(detail, Lsn, MessageType, Offset);

    private readonly PgOutputException Truncated(int wanted)
        => Error($"message ends early: {wanted} bytes wanted, {Remaining} left");
}
