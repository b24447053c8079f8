namespace Cdc.Decoding.Values;

/// <summary>
/// What value conversion needs to know about a type: how to convert it, its name (for errors and nested
/// columns), the related type (array element, range subtype — also for multiranges), composite fields, and
/// the array element delimiter (<c>;</c> for box, <c>,</c> otherwise).
/// </summary>
internal sealed record TypeShape(PgValueKind Kind, string Name, uint RelatedOid, IReadOnlyList<PgCompositeField> Fields)
{
    public byte Delimiter => Kind == PgValueKind.Box ? (byte)';' : (byte)',';
}
