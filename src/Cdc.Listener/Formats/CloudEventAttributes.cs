using System.Globalization;
using Cdc.Decoding;

namespace Cdc.Listener.Formats;

/// <summary>
/// The CloudEvents 1.0 context attributes of an event: <c>id</c> is the <c>Nats-Msg-Id</c> (so a consumer's
/// deduplication by CloudEvents id matches JetStream's), <c>type</c> <c>io.cdc.change.&lt;operation&gt;</c>,
/// <c>io.cdc.schema</c> or <c>io.cdc.message</c>, <c>subject</c> <c>&lt;schema&gt;.&lt;table&gt;</c> (the prefix of
/// a logical message), <c>time</c> the commit time in RFC 3339.
/// </summary>
/// <seealso href="https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md"/>
internal static class CloudEventAttributes
{
    public const string SpecVersion = "1.0";

    public static string Type(in EventContext context) => context.Kind switch
    {
        EventKind.Schema => "io.cdc.schema",
        EventKind.Message => "io.cdc.message",
        EventKind.Snapshot => "io.cdc.snapshot",
        EventKind.Gap => "io.cdc.gap",
        _ => context.Operation switch
        {
            ChangeKind.Insert => "io.cdc.change.insert",
            ChangeKind.Update => "io.cdc.change.update",
            ChangeKind.Delete => "io.cdc.change.delete",
            ChangeKind.Truncate => "io.cdc.change.truncate",
            ChangeKind.Read => "io.cdc.change.read",
            _ => "io.cdc.change",
        },
    };

    public static string Subject(in EventContext context)
        => context.Kind == EventKind.Message ? context.Name : context.Schema + "." + context.Name;

    /// <summary>RFC 3339 in UTC with microseconds, e.g. <c>2026-12-07T02:30:40.123456Z</c>.</summary>
    public static string Time(long unixMicros)
        => DateTimeOffset.UnixEpoch.AddTicks(unixMicros * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
