namespace Cdc.Listener.Formats;

/// <summary>Which <c>cdc.v1</c> message an event's protobuf bytes hold.</summary>
internal enum EventKind : byte
{
    /// <summary>A <c>ChangeEvent</c> of a row change or a truncate.</summary>
    Change,

    /// <summary>A <c>RelationEvent</c>: a table's shape.</summary>
    Schema,

    /// <summary>A <c>ChangeEvent</c> carrying a logical decoding message (<c>OPERATION_MESSAGE</c>).</summary>
    Message,

    /// <summary>A <c>SnapshotEvent</c>: a table's (re)snapshot is complete.</summary>
    Snapshot,

    /// <summary>A <c>GapEvent</c>: changes in an LSN range were not captured (a slot was recreated).</summary>
    Gap,
}
