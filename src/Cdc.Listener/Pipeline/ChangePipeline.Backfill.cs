using System.Globalization;
using Cdc.Decoding;
using Cdc.Decoding.Transactions;
using Cdc.Listener.Backfill.Window;
using Cdc.Listener.Formats;
using Cdc.Sink;

namespace Cdc.Listener.Pipeline;

/// <summary>The pipeline's part in online backfills: the rows of a chunk are published in its high watermark's transaction.</summary>
internal sealed partial class ChangePipeline
{
    private readonly BackfillCoordinator? _backfill;

    /// <summary>
    /// After a transaction is decoded: persists the backfill requests it holds, and when it holds a chunk's high
    /// watermark, adds the chunk's rows not superseded inside the window (then the marker of a finished backfill), so
    /// they are acknowledged with the transaction and the flush LSN passes it only once they are stored.
    /// </summary>
    private async ValueTask<BackfillChunk?> AddBackfillAsync(CommittedTransaction transaction, CancellationToken cancellationToken)
    {
        await _backfill!.AcceptSignalsAsync(cancellationToken).ConfigureAwait(false);
        if (_backfill.TakeReady() is not { } chunk)
        {
            return null;
        }

        var relation = chunk.Relation;
        var subjects = _subjects.For(relation);
        var counter = subjects.Counter(_changes, "read");
        for (var i = 0; i < chunk.Count; i++)
        {
            if (_backfill.IsSuperseded(chunk.Key(i)))
            {
                chunk.Dropped++;
                continue;
            }

            var id = RowId(_slot, transaction.EndLsn, i);
            var payload = _format.Format(chunk.Event(i), new EventContext(EventKind.Change, ChangeKind.Read, id, relation.Namespace, relation.Name, transaction.CommitTimeMicros), out var headers);
            Add(MessageKind.WriteTable, subjects.Table, subjects.Read, id, counter, payload, headers);
        }

        if (chunk.Marker is { } marker)
        {
            var id = MarkerId(_slot, transaction.EndLsn, subjects.Table);
            var payload = _format.Format(marker, new EventContext(EventKind.Snapshot, ChangeKind.Read, id, relation.Namespace, relation.Name, transaction.CommitTimeMicros), out var headers);
            Add(MessageKind.DeleteStale, subjects.Table, subjects.Snapshot, id, subjects.Counter(_changes, "snapshot"), payload, headers);
        }

        return chunk;
    }

    /// <summary>A backfill row: slot, high watermark end LSN and row: the same chunk published again dedupes.</summary>
    internal static string RowId(string slot, Lsn endLsn, int row)
        => string.Create(CultureInfo.InvariantCulture, $"{slot}:{endLsn.Value:X16}:backfill:{row}");

    internal static string MarkerId(string slot, Lsn endLsn, string table)
        => string.Create(CultureInfo.InvariantCulture, $"{slot}:{endLsn.Value:X16}:backfilled:{table}");
}
