using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Cdc.Decoding;
using Cdc.Decoding.Snapshot;
using Cdc.Listener.Configuration;
using Cdc.Listener.Formats;
using Cdc.Listener.Pipeline;
using Cdc.Listener.Delivery;
using Cdc.Listener.Source;
using Cdc.Sink;
using Cdc.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Snapshot;

/// <summary>
/// Publishes the rows of every published table as of the snapshot slot's consistent point, synchronously: the whole
/// snapshot is one transaction of the ledger ending at the consistent point, cut into chunks that go through the same
/// in-flight budget as streamed transactions, and <see cref="RunAsync"/> returns only once every row and every table's
/// marker is acknowledged. The ledger must start with its flush LSN just below the consistent point, so nothing can be
/// confirmed at or past it before the snapshot is delivered.
/// </summary>
internal sealed partial class InitialSnapshot(
    SessionContext context,
    DeliveryLedger ledger,
    IMessageSink sink,
    AckRouter acks,
    TransactionSequence sequence,
    ITypeResolver types,
    ILogger logger)
{
    private readonly string _slot = context.Options.Slot;
    private readonly string _database = context.Source.Database;
    private readonly ChangeEventEncoder _encoder = new(types);
    private readonly EventFormat _format = EventFormat.Create(context.Options, context.Source.Database, context.PublishHeaders);
    private readonly SubjectMapper _subjects = new(context.Options.Nats.SubjectPrefix, context.Source.Database, SubjectTemplate.From(context.Options.Nats.SubjectTemplate, context.Options.Nats.SubjectIncludesOperation));
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);
    private readonly OpenChunk _open = new(context.Options.Pusher.ChunkMaxBytes);

    private Lsn _consistentPoint;
    private long _transactionSequence;

    /// <summary>The ledger's starting flush LSN for a snapshot at <paramref name="consistentPoint"/>.</summary>
    public static ulong FlushBefore(Lsn consistentPoint) => consistentPoint.Value - 1;

    /// <summary>Reads and publishes every table, then waits until all of it is acknowledged; returns the row count.</summary>
    public async Task<(long Rows, int Tables)> RunAsync(SnapshotSlot slot, SourceConnectionStrings connections, CancellationToken cancellationToken)
    {
        _consistentPoint = slot.ConsistentPoint;
        _transactionSequence = sequence.Next();
        await using var conn = await SourceSetup.OpenAsync(connections, cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(conn, $"SET TRANSACTION SNAPSHOT '{CheckedSnapshotName(slot.SnapshotName)}'", cancellationToken).ConfigureAwait(false);
            var tables = await PublishedTables.ReadAsync(conn, context.Source.Publications, context.Source.ServerVersionNum, types, cancellationToken).ConfigureAwait(false);
            SnapshotLog.Started(logger, slot.TemporaryName, slot.SnapshotName, _consistentPoint.ToString(), tables.Count);
            long total = 0;
            for (var t = 0; t < tables.Count; t++)
            {
                total += await PublishTableAsync(conn, tables[t], isLastTable: t == tables.Count - 1, cancellationToken).ConfigureAwait(false);
            }

            if (tables.Count == 0)
            {
                // Nothing published: an empty last chunk still marks the snapshot transaction's end.
                await PushAsync(isLast: true, cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(conn, "COMMIT", cancellationToken).ConfigureAwait(false);
            await WaitForAcksAsync(cancellationToken).ConfigureAwait(false);
            return (total, tables.Count);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw SourceSetup.Classify(e, connections);
        }
    }

    private async Task<long> PublishTableAsync(NpgsqlConnection conn, PublishedTable table, bool isLastTable, CancellationToken cancellationToken)
    {
        var relation = table.Relation;
        if (OutboxTableOf(relation) is { } outboxTable)
        {
            // Rows already in an outbox table are relayed as the messages they carry, as if inserted now.
            var relayed = await RelayOutboxRowsAsync(conn, table, outboxTable, cancellationToken).ConfigureAwait(false);
            if (!context.Options.Outbox.PublishRowChanges)
            {
                await PushAsync(isLast: isLastTable, cancellationToken).ConfigureAwait(false);
                return relayed;
            }
        }

        var started = DateTimeOffset.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        var subjects = _subjects.For(relation);
        var subject = subjects.For(ChangeKind.Read);
        var row = new SnapshotRow(relation, _consistentPoint);
        var startedMicros = started.ToUnixTimeMilliseconds() * 1000; // rows carry no commit time: CloudEvents' time is the read's start
        var index = 0;
        var rows = await TableCopyReader.ReadAsync(conn, row, table.RowFilter, async r =>
        {
            _scratch.ResetWrittenCount();
            _encoder.Encode(r.AsChange(index), _database, _scratch);
            var id = RowId(_slot, _consistentPoint, subjects.Table, index);
            await AddAsync(MessageKind.WriteTable, subjects.Table, subject, id, new EventContext(EventKind.Change, ChangeKind.Read, id, relation.Namespace, relation.Name, startedMicros), cancellationToken).ConfigureAwait(false);
            index++;
        }, cancellationToken).ConfigureAwait(false);

        var marker = new SnapshotEvent
        {
            Database = _database,
            Schema = relation.Namespace,
            Table = relation.Name,
            ConsistentLsn = _consistentPoint.Value,
            RowCount = (ulong)rows,
            StartedUs = started.ToUnixTimeMilliseconds() * 1000,
            FinishedUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000,
            Slot = _slot,
        };
        _scratch.ResetWrittenCount();
        marker.WriteTo(_scratch);
        var markerId = MarkerId(_slot, _consistentPoint, subjects.Table);
        await AddAsync(MessageKind.DeleteStale, subjects.Table, subjects.Snapshot, markerId, new EventContext(EventKind.Snapshot, ChangeKind.Read, markerId, relation.Namespace, relation.Name, (long)marker.FinishedUs), cancellationToken).ConfigureAwait(false);
        await PushAsync(isLast: isLastTable, cancellationToken).ConfigureAwait(false);
        SnapshotLog.TableRead(logger, subjects.Table, rows, stopwatch.Elapsed.TotalSeconds);
        return rows;
    }

    /// <summary>slot, consistent point, table and row index: a snapshot redone at the same point (same slot) dedupes.</summary>
    internal static string RowId(string slot, Lsn consistentPoint, string table, int index)
        => string.Create(CultureInfo.InvariantCulture, $"{slot}:{consistentPoint.Value:X16}:read:{table}:{index}");

    internal static string MarkerId(string slot, Lsn consistentPoint, string table)
        => string.Create(CultureInfo.InvariantCulture, $"{slot}:{consistentPoint.Value:X16}:snapshot:{table}");

    private async ValueTask AddAsync(MessageKind kind, string table, string subject, string id, EventContext eventContext, CancellationToken cancellationToken)
    {
        if (!TryAdd(kind, table, subject, id, eventContext))
        {
            // The open chunk is full: seal it, then the message starts the next one (formatted again: the formatted
            // bytes are valid only until the next call, and a span cannot wait across the push).
            await PushAsync(isLast: false, cancellationToken).ConfigureAwait(false);
            TryAdd(kind, table, subject, id, eventContext);
        }
    }

    /// <summary>Formats the event in <see cref="_scratch"/> and adds it to the open chunk; false when it does not fit.</summary>
    private bool TryAdd(MessageKind kind, string table, string subject, string id, in EventContext eventContext)
    {
        var payload = _format.Format(_scratch.WrittenSpan, eventContext, out var headers);
        if (!_open.Fits(payload.Length))
        {
            return false;
        }

        _open.Add(kind, table, subject, id, payload, headers);
        return true;
    }

    /// <summary>Seals the pending messages into a chunk, admits it under the budget and hands its messages to the sink.</summary>
    private async ValueTask PushAsync(bool isLast, CancellationToken cancellationToken)
    {
        var cp = _consistentPoint.Value;
        var chunk = _open.Seal(_transactionSequence, cp, cp, isLast, out _, outbox: acks.Outbox);
        await ledger.PushAsync(chunk, cancellationToken).ConfigureAwait(false);
        var messages = chunk.Messages;
        for (var i = 0; i < messages.Length; i++)
        {
            await sink.WriteAsync(messages.Span[i], cancellationToken).ConfigureAwait(false);
        }

        await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WaitForAcksAsync(CancellationToken cancellationToken)
    {
        while (ledger.Tracker.FlushLsn < _consistentPoint.Value)
        {
            if (acks.Failure is { } failure)
            {
                throw failure;
            }

            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            tick.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await ledger.Tracker.WaitForAdvanceAsync(ledger.Tracker.FlushLsn, tick.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Exported snapshot names are hex digits and dashes; anything else is refused rather than put in SQL.</summary>
    private static string CheckedSnapshotName(string name)
        => name.Length > 0 && name.All(c => char.IsAsciiHexDigit(c) || c == '-')
            ? name
            : throw new ReplicationSetupException($"the exported snapshot name '{name}' is not a snapshot name");

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
