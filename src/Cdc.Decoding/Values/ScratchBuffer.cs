namespace Cdc.Decoding.Values;

/// <summary>Reusable bytes for values the direct encoder has to transform (bytea hex, uuid text, binary numeric).</summary>
internal sealed class ScratchBuffer
{
    private byte[] _buffer = new byte[1024];

    public int Used { get; private set; }

    public void Reset() => Used = 0;

    /// <summary>Room for <paramref name="length"/> bytes at the returned offset; earlier slices stay valid (they are copied on growth).</summary>
    public int Reserve(int length, out Span<byte> span)
    {
        if (_buffer.Length - Used < length)
        {
            var grown = new byte[Math.Max(_buffer.Length * 2, Used + length)];
            _buffer.AsSpan(0, Used).CopyTo(grown);
            _buffer = grown;
        }

        var offset = Used;
        span = _buffer.AsSpan(offset, length);
        Used += length;
        return offset;
    }

    /// <summary>Gives back the unused tail of the last reservation.</summary>
    public void Trim(int offset, int length) => Used = offset + length;

    public ReadOnlySpan<byte> Slice(int offset, int length) => _buffer.AsSpan(offset, length);
}
