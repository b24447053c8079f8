using Cdc.V1;

namespace Cdc.Consumer.Events;

/// <summary>The shape of a table, published on <c>&lt;...&gt;.&lt;table&gt;._schema</c> before the rows that use it.</summary>
public sealed class CdcRelationEvent : CdcEvent
{
    internal CdcRelationEvent(CdcEventEnvelope envelope, RelationEvent relation)
        : base(envelope)
    {
        Relation = relation;
    }

    /// <summary>The table shape as Cdc published it.</summary>
    public RelationEvent Relation { get; }
}
