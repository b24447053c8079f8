using Cdc.V1;

namespace Cdc.Decoding.Values;

/// <summary>How one column's <see cref="Value"/> is written: a field of the oneof and its payload, or a built object.</summary>
internal struct ValuePlan
{
    public int Field;
    public ValuePlanForm Form;

    /// <summary>Varint (already zigzag-encoded where the field is sint) or the bits of a double.</summary>
    public ulong Number;

    /// <summary><see cref="ValuePlanForm.Raw"/>: bytes of the tuple, written as they are.</summary>
    public ReadOnlyMemory<byte> Raw;

    /// <summary><see cref="ValuePlanForm.Scratch"/>: a slice of the encoder's scratch buffer.</summary>
    public int ScratchOffset;
    public int ScratchLength;

    /// <summary><see cref="ValuePlanForm.Message"/>: types without a direct path (arrays, ranges, composites, ...).</summary>
    public Value? Message;

    /// <summary>Size of the Value message.</summary>
    public int Size;
}

internal enum ValuePlanForm : byte
{
    Varint,
    Fixed64,
    Raw,
    Scratch,
    Message,
}
