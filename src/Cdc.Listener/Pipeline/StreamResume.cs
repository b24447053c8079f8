using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Sink;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// On start, where the stream stands for the slot: the newest message Cdc stored for it, read back from the stream.
/// Skipping what it holds makes exactly-once independent of JetStream's duplicate window; finding it while the slot is
/// missing means a new slot would silently skip what was committed in between.
/// </summary>
internal static class StreamResume
{
    /// <summary>How far back from the stream's end to look for the slot's newest id (other producers' messages in between).</summary>
    internal const int MaxScan = 1000;

    /// <summary>The slot's position in the stream; null when the sink keeps no history or holds nothing of the slot.</summary>
    public static async Task<ResumePoint?> ReadAsync(IMessageSink sink, string slot, CancellationToken cancellationToken)
    {
        if (sink is not IStreamHistory history)
        {
            return null;
        }

        try
        {
            var newest = await history.FindNewestAsync(id => ResumePoint.Parse(slot, id) is not null, MaxScan, cancellationToken).ConfigureAwait(false);
            return newest is null ? null : ResumePoint.Parse(slot, newest.MessageId)! with
            {
                SystemId = newest.Header(StreamOrigin.SystemIdHeader) is { Length: > 0 } system ? system : null,
            };
        }
        catch (Exception e) when (StreamReadErrors.Handles(e))
        {
            throw StreamReadErrors.From(e, "the stream's newest message");
        }
    }

    /// <summary>
    /// <paramref name="stored"/> when the stream holds more of the slot than <paramref name="confirmed"/> (the slot's
    /// confirmed position at start, the ledger's flush LSN at a reconnect): what the new session must skip. Null in
    /// dedupe mode: it publishes a row's newest change in its older change's place, so its newest stored id is no
    /// position to skip to (docs/design.md, "Dedupe mode and the duplicate window").
    /// </summary>
    public static ResumePoint? Ahead(CdcOptions options, ResumePoint? stored, ulong confirmed)
        => !options.Pusher.Dedupe && stored is not null && stored.NewestEnd > confirmed ? stored : null;

    /// <summary>
    /// The slot is missing but the stream holds what Cdc streamed from it: refused unless <c>Cdc:AllowSlotGap</c>.
    /// An interrupted initial snapshot (only snapshot rows stored) is not a gap: it is taken again.
    /// </summary>
    public static void ThrowIfLostSlot(CdcOptions options, ResumePoint? stored)
    {
        if (stored is { Streamed: true } && !options.AllowSlotGap)
        {
            throw new ReplicationSetupException(
                $"slot '{options.Slot}' does not exist, but stream '{options.Nats.Stream}' holds changes Cdc streamed from it up to {new Lsn(stored.NewestEnd)} "
                + $"(message {stored.MessageId}): a new slot would skip every change committed since; recreate nothing and restore the slot, "
                + "or set Cdc:AllowSlotGap=true to create it and publish a gap event");
        }
    }
}
