using System.Buffers;

namespace Cdc.Listener.Source;

/// <summary>
/// A message's bytes where they were read: one block of memory (all but the largest messages), or a sequence of
/// segments when the message crosses a buffer border. The block is cheaper to read: no sequence is built around it.
/// </summary>
public readonly struct BufferedBytes
{
    private readonly ReadOnlyMemory<byte> _contiguous;
    private readonly ReadOnlySequence<byte> _segments;
    private readonly bool _isContiguous;

    public BufferedBytes(ReadOnlyMemory<byte> contiguous)
    {
        _contiguous = contiguous;
        _isContiguous = true;
    }

    public BufferedBytes(ReadOnlySequence<byte> segments) => _segments = segments;

    public ReadOnlySequence<byte> Sequence => _isContiguous ? new ReadOnlySequence<byte>(_contiguous) : _segments;

    public long Length => _isContiguous ? _contiguous.Length : _segments.Length;

    public bool TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = _contiguous;
        return _isContiguous;
    }
}
