using System.Buffers;
using System.IO.Pipelines;
using Cdc.Decoding;
using Cdc.Listener.Backfill.Window;
using Cdc.Listener.Configuration;
using Cdc.Listener.Delivery;
using Cdc.Listener.Formats;
using Cdc.Listener.Outbox;
using Cdc.Listener.Source;
using Cdc.Listener.Telemetry;
using Cdc.Sink;
using Cdc.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// One replication session's decoding path: frames from the pipe, assembled into committed
/// transactions, decoded into change items, encoded as protobuf events into chunks, pushed under the
/// in-flight budget, and written to the sink in commit order.
/// </summary>
internal sealed partial class ChangePipeline : IChangeHandler, IDisposable
{
    private readonly string _slot;
    private readonly string _database;
    private readonly DeliveryLedger _ledger;
    private readonly IMessageSink _sink;
    private readonly ChangeCounters _changes;
    private readonly SourceProgress _source;
    private readonly TransactionSequence _sequence;
    private readonly ILogger _logger;
    private readonly TransactionAssembler _assembler;
    private readonly ChangeDecoder _decoder;
    private readonly SubjectMapper _subjects;
    private readonly ChangeEventEncoder _encoder;
    private readonly EventFormat _format;
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);
    private readonly OpenChunk _open;
    private readonly Queue<(Chunk Chunk, DedupeRow[]? Rows)> _ready = new();
    private readonly DedupeBuffer? _dedupe;
    private readonly ArrayBufferWriter<byte> _keyScratch = new(64);
    private readonly ResumePoint? _resume;
    private readonly PublishedSchemas? _schemas;
    private readonly HeartbeatMonitor? _heartbeat;
    private readonly bool _publishHeartbeats;
    private readonly OutboxRelay? _outbox;
    private readonly IReadOnlyList<KeyValuePair<string, string>>? _publishHeaders;
    private readonly List<OutboxRowMessage> _outboxMessages = [];
    private readonly ServerTimeline _server;

    // The transaction being decoded.
    private CommittedTransaction? _transaction;
    private long _transactionSequence;
    private uint _timeline;
    private int _nextMessageIndex;

    // Changes of the current transaction with an index at or below this are in the stream already (-1: none).
    private int _storedThroughIndex = -1;
    private long _skippedReported;
    private long _framesProcessed;
    private volatile bool _delivering;
    private bool _unflushed;

    public ChangePipeline(
        SessionContext context,
        DeliveryLedger ledger,
        IMessageSink sink,
        ChangeCounters changes,
        SourceProgress source,
        TransactionSequence sequence,
        ITypeResolver? types,
        DedupeBuffer? dedupe,
        ServerTimeline server,
        OutboxRelay? outbox,
        ILogger logger,
        BackfillCoordinator? backfill = null)
    {
        _dedupe = dedupe;
        _resume = context.Resume;
        _schemas = context.Schemas;
        _heartbeat = context.Heartbeat;
        _publishHeartbeats = context.Options.Heartbeat.Publish;
        _server = server;
        _outbox = outbox;
        _publishHeaders = context.PublishHeaders;
        _backfill = backfill;
        backfill?.OnSessionStart();
        _slot = context.Options.Slot;
        _database = context.Source.Database;
        _open = new OpenChunk(context.Options.Pusher.ChunkMaxBytes);
        _ledger = ledger;
        _sink = sink;
        _changes = changes;
        _source = source;
        _sequence = sequence;
        _logger = logger;
        _assembler = new TransactionAssembler(context.Protocol) { SkipThrough = new Lsn(Math.Max(ledger.Tracker.FlushLsn, context.Resume?.WholeThrough ?? 0)) };
        _decoder = new ChangeDecoder(context.Protocol, types);
        _encoder = new ChangeEventEncoder(types);
        _format = EventFormat.Create(context.Options, _database, context.PublishHeaders);
        _subjects = new SubjectMapper(context.Options.Nats.SubjectPrefix, _database, SubjectTemplate.From(context.Options.Nats.SubjectTemplate, context.Options.Nats.SubjectIncludesOperation));
    }

    public long FramesProcessed => Interlocked.Read(ref _framesProcessed);

    /// <summary>
    /// True when nothing received is still on its way to the ledger: no open (or streamed,
    /// undecided) transaction and no transaction being delivered.
    /// </summary>
    public bool IsIdle => !_delivering && _assembler.OpenTransactionCount == 0;

    public async Task RunAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                while (XLogFrame.TryRead(ref buffer, out var frame))
                {
                    _source.SetLastReceived(frame.WalEnd);
                    CommittedTransaction? transaction;
                    _delivering = true;
                    try
                    {
                        transaction = _assembler.Append(frame.Bytes, frame.WalStart, frame.WalEnd);
                        if (transaction is not null)
                        {
                            using (transaction)
                            {
                                await DeliverAsync(transaction, cancellationToken).ConfigureAwait(false);
                            }
                        }
                    }
                    finally
                    {
                        _delivering = false;
                    }

                    Interlocked.Increment(ref _framesProcessed);
                }

                if (_assembler.SkippedTransactions != _skippedReported)
                {
                    _source.CountResumeSkippedTransactions(_assembler.SkippedTransactions - _skippedReported);
                    _skippedReported = _assembler.SkippedTransactions;
                }

                if (_unflushed && _dedupe is null)
                {
                    // Caught up with what was received: end the sink's batch now rather than on its
                    // timer, for latency; while a backlog drains, batches fill up instead.
                    _unflushed = false;
                    await _sink.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }

            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private async Task DeliverAsync(CommittedTransaction transaction, CancellationToken cancellationToken)
    {
        if (_ledger.ShouldSkip(transaction.EndLsn.Value))
        {
            _changes.CountSkipped();
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                ListenerLog.SkippedReplayed(_logger, transaction.EndLsn.ToString(), new Lsn(_ledger.Tracker.FlushLsn).ToString());
            }
            return;
        }

        // Sent again after a restart, stored in part: the changes the stream holds are skipped (see ResumePoint); the
        // transactions it holds whole were dropped by the assembler (SkipThrough), their Relation messages kept.
        _storedThroughIndex = -1;
        if (_resume is { } resume && transaction.EndLsn.Value == resume.PartialEnd)
        {
            _source.CountResumeSkippedTransactions(1);
            _storedThroughIndex = resume.PartialIndex;
        }

        _transaction = transaction;
        _timeline = _server.TimelineAt(transaction.EndLsn);
        _transactionSequence = _sequence.Next();
        _nextMessageIndex = 0;
        _open.StartTransaction();
        _changes.CountTransaction(transaction.CommitTimeMicros);
        _sequence.RecordCommit(transaction.EndLsn.Value, transaction.CommitTimeMicros);

        // Decoded one message at a time so that chunks are pushed (and the budget is honoured)
        // while a huge transaction is still being decoded.
        foreach (var _ in _decoder.DecodeStepwise(transaction, this))
        {
            while (_ready.TryDequeue(out var ready))
            {
                await PushAsync(ready.Chunk, ready.Rows, cancellationToken).ConfigureAwait(false);
            }
        }

        var backfill = _backfill is null ? null : await AddBackfillAsync(transaction, cancellationToken).ConfigureAwait(false);
        Seal(isLast: true);
        backfill?.SetCarriers([.. _ready.Select(r => r.Chunk)]);
        while (_ready.TryDequeue(out var ready))
        {
            await PushAsync(ready.Chunk, ready.Rows, cancellationToken).ConfigureAwait(false);
        }

        backfill?.SetDelivered(transaction.EndLsn.Value);
        _transaction = null;
    }

    private async ValueTask PushAsync(Chunk chunk, DedupeRow[]? rows, CancellationToken cancellationToken)
    {
        await _ledger.PushAsync(chunk, cancellationToken).ConfigureAwait(false);
        var messages = chunk.Messages;
        if (_dedupe is not null)
        {
            // Overload mode: a sender loop takes from the buffer, which keeps only each row's newest pending change.
            for (var i = 0; i < messages.Length; i++)
            {
                _dedupe.Add(messages.Span[i], rows![i]);
            }

            return;
        }

        for (var i = 0; i < messages.Length; i++)
        {
            await _sink.WriteAsync(messages.Span[i], cancellationToken).ConfigureAwait(false);
        }

        _unflushed = true;
    }

    public void OnRelation(RelationInfo relation)
    {
        if (_outbox is not null && _outbox.Find(relation) is not null && !_outbox.PublishRowChanges)
        {
            return;
        }

        var transaction = _transaction!;
        var subjects = _subjects.For(relation);
        var evt = new RelationEvent
        {
            Database = _database,
            Schema = relation.Namespace,
            Table = relation.Name,
            RelationId = relation.Id,
            ReplicaIdentity = relation.ReplicaIdentity.ToString().ToLowerInvariant(),
            EndLsn = transaction.EndLsn.Value,
        };
        foreach (var column in relation.Columns)
        {
            evt.Columns.Add(new ColumnDefinition
            {
                Name = column.Name,
                TypeOid = column.TypeOid,
                TypeName = column.TypeName ?? string.Empty,
                TypeModifier = column.TypeModifier,
                IsKey = column.IsKey,
            });
        }

        if (_schemas?.IsPublished(subjects.Schema, evt) == true)
        {
            // The stream's newest schema event for the table has this shape already (a restart, a reconnect).
            return;
        }

        _scratch.ResetWrittenCount();
        evt.WriteTo(_scratch);
        var id = MessageIds.ForSchema(_slot, _timeline, transaction.EndLsn, _nextMessageIndex, relation.Id);
        var payload = _format.Format(_scratch.WrittenSpan, new EventContext(EventKind.Schema, default, id, relation.Namespace, relation.Name, transaction.CommitTimeMicros), out var headers);
        Add(MessageKind.MigrateTable, subjects.Table, subjects.Schema, id, subjects.Counter(_changes, "schema"), payload, headers);
    }

    public void OnChange(ChangeItem change)
    {
        if (change.Index <= _storedThroughIndex)
        {
            _source.CountResumeSkippedChange();
            return;
        }

        if (change.Kind == ChangeKind.Message && change.Message!.Prefix == HeartbeatMonitor.Prefix && !OnHeartbeat(change))
        {
            return;
        }

        if (_outbox is not null && change.Relation is { } relation && _outbox.Find(relation) is { } outboxTable)
        {
            if (change.Kind == ChangeKind.Insert)
            {
                Relay(outboxTable, change);
            }

            if (!_outbox.PublishRowChanges)
            {
                return;
            }
        }

        _scratch.ResetWrittenCount();
        _encoder.Encode(change, _database, _scratch);
        var id = MessageIds.ForChange(_slot, _timeline, change.EndLsn, change.Index);
        switch (change.Kind)
        {
            case ChangeKind.Message when _backfill is not null && _backfill.OnMessage(change):
                break; // a backfill watermark: consumed
            case ChangeKind.Message:
                var prefix = change.Message!.Prefix;
                var message = _subjects.ForMessage(prefix);
                var messagePayload = _format.Format(_scratch.WrittenSpan, new EventContext(EventKind.Message, change.Kind, id, string.Empty, prefix, change.CommitTimeMicros), out var messageHeaders);
                Add(MessageKind.WriteTable, message.Table, message.Subject, id, message.Counter(_changes), messagePayload, messageHeaders);
                break;
            case ChangeKind.Truncate:
                _backfill?.Observe(change);
                var truncated = _subjects.For(change.Relation!);
                var truncatePayload = _format.Format(_scratch.WrittenSpan, Context(change, id), out var truncateHeaders);
                Add(MessageKind.DeleteStale, truncated.Table, truncated.Truncate, id, truncated.Counter(_changes, "truncate"), truncatePayload, truncateHeaders);
                break;
            default:
                _backfill?.Observe(change);
                var subjects = _subjects.For(change.Relation!);
                var payload = _format.Format(_scratch.WrittenSpan, Context(change, id), out var headers);
                Add(MessageKind.WriteTable, subjects.Table, subjects.For(change.Kind), id, subjects.Counter(_changes, OperationName(change.Kind)), payload, headers,
                    _dedupe is null ? DedupeRow.None : DedupeRows.Of(change, subjects.Table, _keyScratch));
                break;
        }
    }

    /// <summary>Reports this slot's heartbeats (any Cdc's on the database carry the prefix); whether to publish it.</summary>
    private bool OnHeartbeat(ChangeItem change)
    {
        var content = change.Message!.Content.Span;
        if (_heartbeat is not null && content.Length > _slot.Length + 1 && content[_slot.Length] == (byte)' '
            && System.Text.Encoding.UTF8.GetString(content[.._slot.Length]) == _slot
            && System.Buffers.Text.Utf8Parser.TryParse(content[(_slot.Length + 1)..], out long sentMicros, out _))
        {
            _heartbeat.Decoded(change.EndLsn.Value, sentMicros);
        }

        return _publishHeartbeats;
    }

    /// <summary>An inserted outbox row: its messages instead of (or besides) the row change, in the transaction's order.</summary>
    private void Relay(OutboxTable table, ChangeItem change)
    {
        if (_outbox!.Read(table, change, _publishHeaders, _outboxMessages) is not { } row)
        {
            return;
        }

        var counter = _changes.CounterFor(table.StatusName, "outbox");
        foreach (var message in _outboxMessages)
        {
            Add(MessageKind.WriteTable, table.StatusName, _subjects.ForOutbox(message.Subject), message.MessageId, counter,
                message.Payload.Span, message.Headers, outbox: row);
        }
    }

    private static EventContext Context(ChangeItem change, string id)
        => new(EventKind.Change, change.Kind, id, change.Relation!.Namespace, change.Relation.Name, change.CommitTimeMicros);

    private void Add(MessageKind kind, string table, string subject, string id, TableCounter counter, ReadOnlySpan<byte> payload,
        IReadOnlyList<KeyValuePair<string, string>> headers, DedupeRow row = default, OutboxRow? outbox = null)
    {
        if (!_open.Fits(payload.Length))
        {
            Seal(isLast: false);
        }

        _open.Add(kind, table, subject, id, payload, headers, row, outbox);
        _nextMessageIndex++;
        _changes.CountChange(counter, payload.Length);
    }

    /// <summary>Turns the pending messages into a chunk (an empty last chunk still marks the transaction's end).</summary>
    private void Seal(bool isLast)
    {
        var transaction = _transaction!;
        var chunk = _open.Seal(_transactionSequence, transaction.CommitLsn.Value, transaction.EndLsn.Value, isLast, out var rows, withRows: _dedupe is not null, _outbox);
        _ready.Enqueue((chunk, rows));
    }

    private static string OperationName(ChangeKind kind) => kind switch
    {
        ChangeKind.Insert => "insert",
        ChangeKind.Update => "update",
        ChangeKind.Delete => "delete",
        ChangeKind.Truncate => "truncate",
        _ => "message",
    };

    public void Dispose() => _assembler.Dispose();
}
