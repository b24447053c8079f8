using System.Buffers;
using Cdc.Decoding;

namespace Cdc.Benchmarks.Replay;

/// <summary>The full path: every change encoded to the <c>cdc.v1.ChangeEvent</c> protobuf, as the listener publishes it.</summary>
public sealed class EncodingHandler : IChangeHandler
{
    private readonly ChangeEventEncoder _encoder = new();
    private readonly ArrayBufferWriter<byte> _output = new(1 << 16);
    private Tally _tally;

    public Tally Tally => _tally;

    public void Reset() => _tally = default;

    public void OnChange(ChangeItem change)
    {
        _output.ResetWrittenCount();
        _tally.Rows++;
        _tally.ValueBytes += _encoder.Encode(change, "bench", _output);
    }

    public void OnRelation(RelationInfo relation)
    {
    }
}
