namespace Cdc.Listener.Formats;

/// <summary>The <c>Content-Type</c> header values of published events.</summary>
internal static class ContentTypes
{
    public const string Header = "Content-Type";
    public const string ChangeEvent = "application/protobuf; proto=cdc.v1.ChangeEvent";
    public const string RelationEvent = "application/protobuf; proto=cdc.v1.RelationEvent";
    public const string SnapshotEvent = "application/protobuf; proto=cdc.v1.SnapshotEvent";
    public const string GapEvent = "application/protobuf; proto=cdc.v1.GapEvent";
    public const string Json = "application/json";
    public const string CloudEventsJson = "application/cloudevents+json";

    public static string Protobuf(EventKind kind) => kind switch
    {
        EventKind.Schema => RelationEvent,
        EventKind.Snapshot => SnapshotEvent,
        EventKind.Gap => GapEvent,
        _ => ChangeEvent,
    };
}
