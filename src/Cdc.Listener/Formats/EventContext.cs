using Cdc.Decoding;

namespace Cdc.Listener.Formats;

/// <summary>
/// What a format needs besides the event's protobuf bytes (the CloudEvents attributes); a struct of references so
/// that the protobuf format, which ignores it, costs nothing per message.
/// </summary>
/// <param name="Name">The table, or the message prefix of a <see cref="EventKind.Message"/>.</param>
/// <param name="CommitTimeMicros">Commit time, microseconds since the Unix epoch (UTC).</param>
internal readonly record struct EventContext(EventKind Kind, ChangeKind Operation, string MessageId, string Schema, string Name, long CommitTimeMicros);
