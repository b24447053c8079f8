using System.Buffers;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// Payload bytes of one chunk, in one pooled array that never moves (so slices handed to the sink stay
/// valid); the chunk returns the array to the pool after its last ack.
/// </summary>
internal sealed class ChunkBuffer
{
    private byte[]? _array;
    private int _used;

    public int Used => _used;

    public int Remaining => _array is null ? 0 : _array.Length - _used;

    /// <summary>Starts a new array of at least <paramref name="minimumSize"/> bytes.</summary>
    public void Start(int minimumSize)
    {
        _array = ArrayPool<byte>.Shared.Rent(minimumSize);
        _used = 0;
    }

    /// <summary>Copies <paramref name="bytes"/> in; the caller checked <see cref="Remaining"/>.</summary>
    public ReadOnlyMemory<byte> Append(ReadOnlySpan<byte> bytes)
    {
        var array = _array ?? throw new InvalidOperationException("Start first");
        bytes.CopyTo(array.AsSpan(_used));
        var memory = new ReadOnlyMemory<byte>(array, _used, bytes.Length);
        _used += bytes.Length;
        return memory;
    }

    /// <summary>Hands the array over (to the chunk that owns its payloads) and forgets it.</summary>
    public byte[]? Detach()
    {
        var array = _array;
        _array = null;
        _used = 0;
        return array;
    }
}
