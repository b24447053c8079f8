using System.Collections.Concurrent;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Sink;
using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Outbox;

/// <summary>
/// The outbox relay's state across sessions: which relations are outbox tables (<c>Cdc:Outbox:Tables</c>, shape
/// recognised from the columns), which published messages belong to which row, and what happens once a row is
/// settled. Messages go through the same chunks, ledger and batch writer as changes, so they are published in commit
/// order and the slot only moves past a row once its messages are acknowledged — or refused and recorded: a message NATS
/// refuses settles its place in the ledger (the relay goes on), is counted, and an egress row records it.
/// </summary>
internal sealed class OutboxRelay : IAsyncDisposable
{
    private readonly HashSet<string> _names;
    private readonly Dictionary<uint, (RelationInfo Relation, OutboxTable? Table)> _relations = [];
    private readonly ConcurrentDictionary<OutboundMessage, OutboxRow> _inFlight = new(ReferenceEqualityComparer.Instance);
    private readonly OutboxRowStore _store;
    private readonly bool _deleteRelayed;
    private readonly ILogger _logger;
    private long _relayed;
    private long _refused;
    private string? _lastRefusal;

    public OutboxRelay(OutboxSection options, Func<string> connectionString, ILogger logger)
    {
        _names = new HashSet<string>(options.Tables.Select(Qualified), StringComparer.Ordinal);
        _deleteRelayed = options.DeleteRelayed;
        PublishRowChanges = options.PublishRowChanges;
        _logger = logger;
        _store = new OutboxRowStore(connectionString, options.DeleteBatchRows, logger);
    }

    /// <summary>Creates the relay when <c>Cdc:Outbox:Tables</c> names any table.</summary>
    public static OutboxRelay? Create(CdcOptions options, Func<string> connectionString, ILogger logger)
        => options.Outbox.Tables.Count == 0 ? null : new OutboxRelay(options.Outbox, connectionString, logger);

    /// <summary>Whether <paramref name="relation"/> is named in <c>Cdc:Outbox:Tables</c> (the snapshot leaves those out).</summary>
    public static bool IsNamed(OutboxSection options, RelationInfo relation)
        => options.Tables.Any(t => Qualified(t) == relation.Namespace + "." + relation.Name);

    /// <summary>The configured tables as schema.table.</summary>
    public static IEnumerable<string> Names(OutboxSection options) => options.Tables.Select(Qualified).Distinct(StringComparer.Ordinal);

    /// <summary>A configured name as schema.table: a bare table name is in <c>public</c>.</summary>
    private static string Qualified(string table) => table.Contains('.', StringComparison.Ordinal) ? table : "public." + table;

    /// <summary>Whether the outbox tables' row changes are published too.</summary>
    public bool PublishRowChanges { get; }

    public OutboxCounters Counters => new(Interlocked.Read(ref _relayed), Interlocked.Read(ref _refused), _store.RowsDeleted, _store.RowsRecorded, Volatile.Read(ref _lastRefusal));

    /// <summary>The outbox table this relation is, or null. Called from the decoding thread only.</summary>
    public OutboxTable? Find(RelationInfo relation)
    {
        if (_relations.TryGetValue(relation.Id, out var known) && ReferenceEquals(known.Relation, relation))
        {
            return known.Table;
        }

        OutboxTable? table = null;
        if (_names.Contains(relation.Namespace + "." + relation.Name))
        {
            table = OutboxTable.Recognise(relation);
            OutboxLog.Recognised(_logger, table.Name, table.Shape.ToString());
        }

        _relations[relation.Id] = (relation, table);
        return table;
    }

    /// <summary>
    /// Reads an inserted row (streamed or from the initial snapshot) into <paramref name="messages"/>; returns the row to
    /// settle once they are published, or null when there is nothing to publish: an empty batch, or a row that cannot be
    /// read, which is refused and recorded here.
    /// </summary>
    public OutboxRow? Read(OutboxTable table, ChangeItem change, IReadOnlyList<KeyValuePair<string, string>>? publishHeaders, List<OutboxRowMessage> messages)
    {
        string? key = null;
        messages.Clear();
        try
        {
            key = OutboxRowReader.Key(table, change);
            OutboxRowReader.Read(table, change, key, publishHeaders, messages);
        }
        catch (OutboxRowException e)
        {
            RefuseRow(table, key, e.Message);
            return null;
        }

        return messages.Count == 0 ? null : new OutboxRow(table, key, messages.Count);
    }

    /// <summary>Remembers which row a published message belongs to (before it is written to the sink).</summary>
    public void Track(OutboundMessage message, OutboxRow row) => _inFlight[message] = row;

    /// <summary>A row that cannot be turned into messages: counted and recorded, nothing is published for it.</summary>
    public void RefuseRow(OutboxTable table, string? key, string error)
    {
        Interlocked.Increment(ref _refused);
        Refused(table, key ?? "(no id)", error);
        if (key is not null && table.Shape == OutboxShape.Egress)
        {
            _store.RecordFailure(new OutboxRow(table, key, 0), error);
        }
    }

    /// <summary>The sink stored <paramref name="message"/>; false when it is not an outbox message.</summary>
    public bool OnAcked(OutboundMessage message)
    {
        if (_inFlight.IsEmpty || !_inFlight.TryRemove(message, out var row))
        {
            return false;
        }

        Interlocked.Increment(ref _relayed);
        Settle(row, null);
        return true;
    }

    /// <summary>NATS refused <paramref name="message"/> for good; false when it is not an outbox message.</summary>
    public bool OnRefused(OutboundMessage message, Exception error)
    {
        if (_inFlight.IsEmpty || !_inFlight.TryRemove(message, out var row))
        {
            return false;
        }

        Interlocked.Increment(ref _refused);
        Settle(row, $"{message.MessageId}: {error.Message}");
        return true;
    }

    /// <summary>The sink stopped before <paramref name="message"/> was acknowledged: it comes again with the replay.</summary>
    public void Forget(OutboundMessage message) => _inFlight.TryRemove(message, out _);

    private void Settle(OutboxRow row, string? error)
    {
        if (!row.Settle(error))
        {
            return;
        }

        if (row.Error is { } refusal)
        {
            Refused(row.Table, row.Key, refusal);
            if (row.Table.Shape == OutboxShape.Egress)
            {
                _store.RecordFailure(row, refusal);
            }
        }
        else if (_deleteRelayed)
        {
            _store.Delete(row);
        }
    }

    private void Refused(OutboxTable table, string key, string error)
    {
        Volatile.Write(ref _lastRefusal, $"{table.Name} {key}: {error}");
        OutboxLog.Refused(_logger, table.Name, key, error);
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}
