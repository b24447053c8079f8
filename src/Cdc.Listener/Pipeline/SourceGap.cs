using System.Globalization;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Formats;
using Cdc.Listener.Telemetry;
using Cdc.Listener.Delivery;
using Cdc.Sink;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// Announces changes that were never captured (a lost slot recreated with <c>Cdc:AllowSlotGap</c>): one
/// <see cref="GapEvent"/> on <c>&lt;prefix&gt;.&lt;database&gt;._gap</c>, pushed through the ledger as its own
/// transaction ending at <c>ledgerEnd</c>, so nothing after it is confirmed before it is stored.
/// </summary>
internal static class SourceGap
{
    public const string Table = "_gap";

    /// <summary><c>&lt;prefix&gt;.&lt;database&gt;._gap</c>.</summary>
    public static string Subject(CdcOptions options, string database) => options.Nats.SubjectPrefix + "." + SubjectMapper.Token(database) + "._gap";

    public static string MessageId(string slot, Lsn to) => string.Create(CultureInfo.InvariantCulture, $"{slot}:{to.Value:X16}:gap");

    public static async Task PublishAsync(
        SessionContext context,
        DeliveryLedger ledger,
        IMessageSink sink,
        TransactionSequence sequence,
        SourceProgress source,
        (Lsn From, Lsn To) range,
        ulong ledgerEnd,
        CancellationToken cancellationToken)
    {
        var options = context.Options;
        var database = context.Source.Database;
        var gap = new GapEvent
        {
            Database = database,
            Slot = options.Slot,
            FromLsn = range.From.Value,
            ToLsn = range.To.Value,
            DetectedUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000,
            Reason = "slot missing",
        };
        var id = MessageId(options.Slot, range.To);
        var format = EventFormat.Create(options, database, context.PublishHeaders);
        var payload = format.Format(gap.ToByteArray(), new EventContext(EventKind.Gap, default, id, string.Empty, Table, gap.DetectedUs), out var headers).ToArray();
        var chunk = new Chunk(sequence.Next(), ledgerEnd, ledgerEnd, 0, isLastOfTransaction: true, capacity: 1);
        chunk.Add(new OutboundMessage
        {
            Kind = MessageKind.WriteTable,
            Table = Table,
            Subject = Subject(options, database),
            MessageId = id,
            Payload = payload,
            Headers = headers,
            State = chunk,
        });
        await ledger.PushAsync(chunk, cancellationToken).ConfigureAwait(false);
        await sink.WriteAsync(chunk.Messages.Span[0], cancellationToken).ConfigureAwait(false);
        await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
        source.CountSourceGap();
    }
}
