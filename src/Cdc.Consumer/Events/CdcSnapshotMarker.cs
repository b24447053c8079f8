using Cdc.V1;

namespace Cdc.Consumer.Events;

/// <summary>
/// A table's (re)snapshot is complete, published on <c>&lt;...&gt;.&lt;table&gt;._snapshot</c> after its last
/// <c>OPERATION_READ</c> row: a consumer that mirrors the table can now delete the rows the snapshot did not carry.
/// </summary>
public sealed class CdcSnapshotMarker : CdcEvent
{
    internal CdcSnapshotMarker(CdcEventEnvelope envelope, SnapshotEvent snapshot)
        : base(envelope)
    {
        Snapshot = snapshot;
    }

    /// <summary>The marker as Cdc published it: consistent point, row count, start and finish.</summary>
    public SnapshotEvent Snapshot { get; }
}
