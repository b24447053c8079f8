namespace Cdc.Decoding.Protocol;

/// <summary>Reusable room for values that span buffer segments and must be copied to be contiguous.</summary>
internal sealed class CopyBuffer
{
    private byte[] _buffer = [];
    private int _used;

    public void Reset() => _used = 0;

    public Memory<byte> Rent(int length)
    {
        if (_buffer.Length - _used < length)
        {
            // Values handed out earlier keep the old array alive through their own references.
            _buffer = new byte[Math.Max(length, Math.Max(256, _buffer.Length * 2))];
            _used = 0;
        }

        var memory = _buffer.AsMemory(_used, length);
        _used += length;
        return memory;
    }
}
