using Cdc.Decoding.Protocol;
using Cdc.Decoding.Protocol.Messages;
using Cdc.Decoding.Values;

namespace Cdc.Decoding;

/// <summary>
/// Decodes committed transactions into <see cref="ChangeItem"/>s, in order. Keeps the relation cache of one
/// replication session (by relid, replaced by each new Relation message) and the names of custom types (Type
/// messages). The item, its tuples and message are reused: valid only during <see cref="IChangeHandler.OnChange"/>.
/// Not thread-safe.
/// </summary>
public sealed class ChangeDecoder
{
    private readonly PgOutputOptions _options;
    private readonly ITypeResolver? _typeResolver;
    private readonly Dictionary<uint, RelationInfo> _relations = [];
    private readonly Dictionary<uint, (string Namespace, string Name)> _typeMessages = [];
    private readonly Dictionary<uint, PgTypeInfo?> _resolvedTypes = [];
    private readonly ChangeItem _item = new();
    private readonly TupleData _newRow = new();
    private readonly TupleData _oldRow = new();
    private readonly LogicalMessage _message = new();
    private readonly CopyBuffer _messageCopies = new();
    private readonly StringCache _prefixes = new();
    private uint[] _truncatedIds = new uint[8];

    public ChangeDecoder(PgOutputOptions options, ITypeResolver? typeResolver = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _typeResolver = typeResolver;
    }

    /// <summary>Relations described so far in this session.</summary>
    public int RelationCount => _relations.Count;

    public bool TryGetRelation(uint relationId, out RelationInfo relation) => _relations.TryGetValue(relationId, out relation!);

    /// <summary>Forgets relations and types: call it when a new replication session starts (the server resends them).</summary>
    public void Reset()
    {
        _relations.Clear();
        _typeMessages.Clear();
        _resolvedTypes.Clear();
    }

    /// <summary>Decodes <paramref name="transaction"/>, calling <paramref name="handler"/> for each change and relation.</summary>
    public void Decode(CommittedTransaction transaction, IChangeHandler handler)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(handler);
        if (transaction.IsSpilled)
        {
            foreach (var _ in Steps(transaction, handler))
            {
            }

            return;
        }

        // In memory: a cursor instead of iterators, so decoding a transaction allocates nothing.
        StartTransaction(transaction, handler);
        var position = 0;
        while (transaction.TryReadInMemory(ref position, out var record))
        {
            DecodeRecord(transaction, record, handler, schemaOnly: false);
        }

        EndTransaction(transaction);
    }

    /// <summary>
    /// Decodes <paramref name="transaction"/> one message per step, calling <paramref name="handler"/> as
    /// <see cref="Decode"/> does. The caller may await between steps (push what the handler built under a
    /// memory budget), so a transaction of millions of rows is never held decoded at once.
    /// </summary>
    public IEnumerable<int> DecodeStepwise(CommittedTransaction transaction, IChangeHandler handler)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(handler);
        return Steps(transaction, handler);
    }

    private IEnumerable<int> Steps(CommittedTransaction transaction, IChangeHandler handler)
    {
        StartTransaction(transaction, handler);
        if (transaction.IsSpilled)
        {
            foreach (var record in transaction.ReadMessages())
            {
                DecodeRecord(transaction, record, handler, schemaOnly: false);
                yield return _item.Index;
            }
        }
        else
        {
            var position = 0;
            while (transaction.TryReadInMemory(ref position, out var record))
            {
                DecodeRecord(transaction, record, handler, schemaOnly: false);
                yield return _item.Index;
            }
        }

        EndTransaction(transaction);
    }

    private void StartTransaction(CommittedTransaction transaction, IChangeHandler handler)
    {
        var prelude = transaction.Prelude;
        for (var i = 0; i < prelude.Count; i++)
        {
            DecodeRecord(transaction, prelude[i], handler, schemaOnly: true);
        }

        _item.Index = 0;
    }

    private void EndTransaction(CommittedTransaction transaction)
    {
        if (_item.Index != transaction.ChangeCount)
        {
            throw new PgOutputException($"transaction {transaction.Xid} counted {transaction.ChangeCount} changes but decoded {_item.Index}",
                transaction.EndLsn, 0, 0);
        }

        // Do not keep the last message's buffers alive through the reused objects.
        _newRow.Reset(0);
        _oldRow.Reset(0);
        _message.Content = default;
    }

    private void DecodeRecord(CommittedTransaction tx, PgOutputRecord record, IChangeHandler handler, bool schemaOnly)
    {
        var reader = new PgReader(record.Data, record.Lsn, _options);
        switch ((PgOutputMessageType)reader.MessageType)
        {
            case PgOutputMessageType.Relation:
                var relation = BuildRelation(RelationMessage.Read(ref reader, streamed: false));
                _relations[relation.Id] = relation;
                handler.OnRelation(relation);
                return;
            case PgOutputMessageType.Type:
                var type = TypeMessage.Read(ref reader, streamed: false);
                _typeMessages[type.TypeOid] = (type.Namespace, type.Name);
                return;
            case var _ when schemaOnly:
                return;
            case PgOutputMessageType.Insert:
                DecodeInsert(ref reader, tx, record, handler);
                return;
            case PgOutputMessageType.Update:
                DecodeUpdate(ref reader, tx, record, handler);
                return;
            case PgOutputMessageType.Delete:
                DecodeDelete(ref reader, tx, record, handler);
                return;
            case PgOutputMessageType.Truncate:
                DecodeTruncate(ref reader, tx, record, handler);
                return;
            case PgOutputMessageType.Message:
                DecodeMessage(ref reader, tx, record, handler);
                return;
            default:
                throw reader.Error("unexpected message inside a transaction");
        }
    }

    private void DecodeInsert(ref PgReader reader, CommittedTransaction tx, PgOutputRecord record, IChangeHandler handler)
    {
        var insert = InsertMessage.Read(ref reader, streamed: false, _newRow);
        var relation = Lookup(ref reader, insert.RelationId);
        CheckColumns(ref reader, relation, _newRow);
        Emit(tx, record, handler, ChangeKind.Insert, relation, _newRow, null, oldRowIsFull: false);
    }

    private void DecodeUpdate(ref PgReader reader, CommittedTransaction tx, PgOutputRecord record, IChangeHandler handler)
    {
        var update = UpdateMessage.Read(ref reader, streamed: false, _oldRow, _newRow);
        var relation = Lookup(ref reader, update.RelationId);
        CheckColumns(ref reader, relation, _newRow);
        if (update.HasOldRow)
        {
            CheckColumns(ref reader, relation, _oldRow);
            if (update.OldRowIsFull)
            {
                FillUnchangedFromOld(_newRow, _oldRow);
            }
        }

        Emit(tx, record, handler, ChangeKind.Update, relation, _newRow, update.HasOldRow ? _oldRow : null, update.OldRowIsFull);
    }

    private void DecodeDelete(ref PgReader reader, CommittedTransaction tx, PgOutputRecord record, IChangeHandler handler)
    {
        var delete = DeleteMessage.Read(ref reader, streamed: false, _oldRow);
        var relation = Lookup(ref reader, delete.RelationId);
        CheckColumns(ref reader, relation, _oldRow);
        Emit(tx, record, handler, ChangeKind.Delete, relation, null, _oldRow, delete.OldRowIsFull);
    }

    private void DecodeTruncate(ref PgReader reader, CommittedTransaction tx, PgOutputRecord record, IChangeHandler handler)
    {
        var truncate = TruncateMessage.Read(ref reader, streamed: false, ref _truncatedIds);
        for (var i = 0; i < truncate.RelationCount; i++)
        {
            Lookup(ref reader, _truncatedIds[i]);
        }

        _item.TruncateOptions = truncate.Options;
        for (var i = 0; i < truncate.RelationCount; i++)
        {
            Emit(tx, record, handler, ChangeKind.Truncate, _relations[_truncatedIds[i]], null, null, oldRowIsFull: false);
        }

        _item.TruncateOptions = TruncateOptions.None;
    }

    private void DecodeMessage(ref PgReader reader, CommittedTransaction tx, PgOutputRecord record, IChangeHandler handler)
    {
        _messageCopies.Reset();
        var message = LogicalDecodingMessage.Read(ref reader, streamed: false, _messageCopies, _prefixes);
        _message.Transactional = message.Transactional;
        _message.Lsn = message.MessageLsn;
        _message.Prefix = message.Prefix;
        _message.Content = message.Content;
        _item.Message = _message;
        Emit(tx, record, handler, ChangeKind.Message, null, null, null, oldRowIsFull: false);
        _item.Message = null;
    }

    private void Emit(CommittedTransaction tx, PgOutputRecord record, IChangeHandler handler, ChangeKind kind, RelationInfo? relation,
        TupleData? newRow, TupleData? oldRow, bool oldRowIsFull)
    {
        var item = _item;
        item.Kind = kind;
        item.Relation = relation;
        item.Xid = tx.Xid;
        item.CommitLsn = tx.CommitLsn;
        item.EndLsn = tx.EndLsn;
        item.CommitTimeMicros = tx.CommitTimeMicros;
        item.IsLast = item.Index == tx.ChangeCount - 1;
        item.NewRow = newRow;
        item.OldRow = oldRow;
        item.OldRowIsFull = oldRowIsFull;
        item.Origin = tx.Origin;
        item.Gid = tx.Gid;
        item.ByteSize = record.Data.Length;
        item.Lsn = record.Lsn;
        handler.OnChange(item);
        item.Index++;
    }

    private RelationInfo Lookup(ref PgReader reader, uint relationId)
    {
        if (_relations.TryGetValue(relationId, out var relation))
        {
            return relation;
        }

        throw new PgOutputException($"change for relation {relationId}, which no Relation message described in this session",
            reader.Lsn, reader.MessageType, 1);
    }

    private static void CheckColumns(ref PgReader reader, RelationInfo relation, TupleData tuple)
    {
        if (tuple.ColumnCount != relation.Columns.Count)
        {
            throw reader.Error($"tuple has {tuple.ColumnCount} columns, relation {relation} has {relation.Columns.Count}");
        }
    }

    /// <summary>REPLICA IDENTITY FULL sends the whole old row: an unchanged TOAST value is the old value.</summary>
    private static void FillUnchangedFromOld(TupleData newRow, TupleData oldRow)
    {
        for (var i = 0; i < newRow.ColumnCount; i++)
        {
            if (newRow.GetKind(i) == TupleValueKind.UnchangedToast && oldRow.GetKind(i) != TupleValueKind.UnchangedToast)
            {
                newRow.Set(i, oldRow.GetKind(i), oldRow.GetRawMemory(i));
            }
        }
    }

    private RelationInfo BuildRelation(RelationMessage message)
    {
        var columns = new ColumnInfo[message.Columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            var column = message.Columns[i];
            var (typeName, customType) = DescribeType(column.TypeOid);
            columns[i] = new ColumnInfo(column.Name, column.TypeOid, typeName, column.TypeModifier, column.IsKey, customType);
        }

        // Reuse the cached names when only the columns changed, so steady state holds one copy of each.
        if (_relations.TryGetValue(message.RelationId, out var previous))
        {
            var ns = string.Equals(previous.Namespace, message.Namespace, StringComparison.Ordinal) ? previous.Namespace : message.Namespace;
            var name = string.Equals(previous.Name, message.Name, StringComparison.Ordinal) ? previous.Name : message.Name;
            return new RelationInfo(message.RelationId, ns, name, message.ReplicaIdentity, columns);
        }

        return new RelationInfo(message.RelationId, message.Namespace, message.Name, message.ReplicaIdentity, columns);
    }

    private (string Name, PgTypeInfo? Custom) DescribeType(uint oid)
    {
        var builtin = BuiltinTypes.TryGet(oid, out var builtinType);
        PgTypeInfo? custom = null;
        if (!builtin && _typeResolver is not null && !_resolvedTypes.TryGetValue(oid, out custom))
        {
            custom = _typeResolver.Resolve(oid);
            _resolvedTypes[oid] = custom;
        }

        if (builtin)
        {
            return (builtinType.Name, null);
        }

        if (_typeMessages.TryGetValue(oid, out var fromMessage))
        {
            return (fromMessage.Name, custom);
        }

        return (custom?.Name ?? $"oid:{oid}", custom);
    }
}
