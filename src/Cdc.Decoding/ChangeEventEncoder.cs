using System.Buffers;
using Cdc.Decoding.Values;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Decoding;

/// <summary>
/// Turns a <see cref="ChangeItem"/> into the <c>cdc.v1.ChangeEvent</c> protobuf. Unchanged TOAST columns are
/// marked <c>unchanged_toast</c> (filled from the old row when the table has REPLICA IDENTITY FULL), NULL is
/// <c>null</c>; never confused. Not thread-safe: use one per decoding thread.
/// </summary>
public sealed class ChangeEventEncoder
{
    private const int NewRowField = 12;
    private const int OldRowField = 13;

    private readonly ValueConverter _converter;
    private readonly ScratchBuffer _scratch = new();
    private ValuePlan[] _newPlans = new ValuePlan[16];
    private ValuePlan[] _oldPlans = new ValuePlan[16];
    private int[] _oldIndexes = new int[16];
    private string? _database;
    private byte[] _databaseField = [];

    public ChangeEventEncoder(ITypeResolver? resolver = null)
        : this(new ValueConverter(resolver))
    {
    }

    public ChangeEventEncoder(ValueConverter converter)
    {
        ArgumentNullException.ThrowIfNull(converter);
        _converter = converter;
    }

    /// <summary>
    /// Writes the event's protobuf bytes to <paramref name="output"/> and returns how many were written. Common
    /// scalar types go straight from the tuple bytes to the wire (no string or object per column); the others
    /// (arrays, ranges, composites, geometry, ...) are built as <see cref="Value"/> objects first. The bytes are
    /// identical to serialising <see cref="ToEvent"/>.
    /// </summary>
    public int Encode(ChangeItem item, string database, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(output);
        _scratch.Reset();
        var relation = item.Relation;
        var encoding = relation is null ? null : RelationEncoding.For(relation, _converter);
        var databaseField = DatabaseField(database);
        var newCount = 0;
        var oldCount = 0;
        var size = EnvelopeSize(item, databaseField, encoding);
        if (encoding is not null && item.NewRow is { } newRow)
        {
            CheckColumns(relation!, newRow);
            newCount = newRow.ColumnCount;
            var fullOld = item.OldRowIsFull ? item.OldRow : null;
            EnsureCapacity(ref _newPlans, newCount);
            for (var i = 0; i < newCount; i++)
            {
                var source = newRow.IsUnchangedToast(i) && fullOld is not null && i < fullOld.ColumnCount && !fullOld.IsUnchangedToast(i) ? fullOld : newRow;
                size += PlanColumn(item, encoding, source, i, ref _newPlans[i], NewRowField);
            }
        }

        if (encoding is not null && item.OldRow is { } oldRow)
        {
            CheckColumns(relation!, oldRow);
            EnsureCapacity(ref _oldPlans, oldRow.ColumnCount);
            EnsureCapacity(ref _oldIndexes, oldRow.ColumnCount);
            for (var i = 0; i < oldRow.ColumnCount; i++)
            {
                if (item.OldRowIsFull || relation!.Columns[i].IsKey)
                {
                    _oldIndexes[oldCount] = i;
                    size += PlanColumn(item, encoding, oldRow, i, ref _oldPlans[oldCount], OldRowField);
                    oldCount++;
                }
            }
        }

        var writer = new ProtoSpanWriter(output.GetSpan(size)[..size]);
        WriteEnvelopeHead(ref writer, item, databaseField, encoding);
        for (var i = 0; i < newCount; i++)
        {
            WriteColumn(ref writer, encoding!.ColumnHeads[i], ref _newPlans[i], NewRowField);
        }

        for (var i = 0; i < oldCount; i++)
        {
            WriteColumn(ref writer, encoding!.ColumnHeads[_oldIndexes[i]], ref _oldPlans[i], OldRowField);
        }

        WriteEnvelopeTail(ref writer, item);
        if (writer.Position != size)
        {
            throw new InvalidOperationException($"ChangeEvent size mismatch: planned {size}, wrote {writer.Position}");
        }

        output.Advance(size);
        // Drop references to the tuple's buffers and built values.
        System.Array.Clear(_newPlans, 0, newCount);
        System.Array.Clear(_oldPlans, 0, oldCount);
        return size;
    }

    /// <summary>Forgets cached custom type shapes (see <see cref="ValueConverter.ClearTypeCache"/>).</summary>
    public void ClearTypeCache() => _converter.ClearTypeCache();

    /// <summary>Builds the event as an object (tests, tools).</summary>
    public ChangeEvent ToEvent(ChangeItem item, string database)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(database);
        var changeEvent = new ChangeEvent
        {
            Operation = OperationOf(item.Kind),
            Database = database,
            CommitLsn = item.CommitLsn.Value,
            EndLsn = item.EndLsn.Value,
            Xid = item.Xid,
            CommitTimeUs = item.CommitTimeMicros,
            Index = (uint)item.Index,
            IsLast = item.IsLast,
            Origin = item.Origin ?? string.Empty,
        };

        var relation = item.Relation;
        if (relation is not null)
        {
            changeEvent.Schema = relation.Namespace;
            changeEvent.Table = relation.Name;
            changeEvent.RelationId = relation.Id;
            changeEvent.KeyColumns.Add(relation.KeyColumnNames);
        }

        if (item.Kind == ChangeKind.Truncate)
        {
            changeEvent.TruncateCascade = (item.TruncateOptions & TruncateOptions.Cascade) != 0;
            changeEvent.TruncateRestartIdentity = (item.TruncateOptions & TruncateOptions.RestartIdentity) != 0;
        }

        if (item.Message is { } message)
        {
            changeEvent.Message = new V1.LogicalMessage
            {
                Prefix = message.Prefix,
                Content = ByteString.CopyFrom(message.Content.Span),
                Transactional = message.Transactional,
            };
        }

        if (relation is not null && item.NewRow is { } newRow)
        {
            var fullOld = item.OldRowIsFull ? item.OldRow : null;
            CheckColumns(relation, newRow);
            for (var i = 0; i < newRow.ColumnCount; i++)
            {
                var column = relation.Columns[i];
                var source = newRow.IsUnchangedToast(i) && fullOld is not null && i < fullOld.ColumnCount && !fullOld.IsUnchangedToast(i) ? fullOld : newRow;
                changeEvent.NewRow.Add(ToColumn(column, Convert(item, column, source, i)));
            }
        }

        if (relation is not null && item.OldRow is { } oldRow)
        {
            changeEvent.OldRowFull = item.OldRowIsFull;
            CheckColumns(relation, oldRow);
            for (var i = 0; i < oldRow.ColumnCount; i++)
            {
                var column = relation.Columns[i];
                if (item.OldRowIsFull || column.IsKey)
                {
                    changeEvent.OldRow.Add(ToColumn(column, Convert(item, column, oldRow, i)));
                }
            }
        }

        return changeEvent;
    }

    private Value Convert(ChangeItem item, ColumnInfo column, TupleData tuple, int index)
    {
        try
        {
            return _converter.Convert(column.TypeOid, column.TypeModifier, tuple.GetKind(index), tuple.GetRaw(index));
        }
        catch (PgOutputException e)
        {
            throw InColumn(e, item, column);
        }
    }

    /// <summary>
    /// A value's error names only its type; this adds where it came from, so an operator can find the row (the
    /// LSN of its change and of its commit, the table and the column).
    /// </summary>
    private static PgOutputException InColumn(PgOutputException e, ChangeItem item, ColumnInfo column)
        => new($"{e.Message} (column \"{column.Name}\" of {item.Relation}, {item.Kind} at LSN {item.Lsn}, transaction {item.Xid} committed at LSN {item.CommitLsn})", e);

    internal static Operation OperationOf(ChangeKind kind) => kind switch
    {
        ChangeKind.Insert => Operation.Insert,
        ChangeKind.Update => Operation.Update,
        ChangeKind.Delete => Operation.Delete,
        ChangeKind.Truncate => Operation.Truncate,
        ChangeKind.Message => Operation.Message,
        ChangeKind.Read => Operation.Read,
        _ => Operation.Unspecified,
    };

    internal static void CheckColumns(RelationInfo relation, TupleData tuple)
    {
        if (tuple.ColumnCount > relation.Columns.Count)
        {
            throw new PgOutputException($"A tuple of {relation} has {tuple.ColumnCount} columns but its relation has {relation.Columns.Count}.");
        }
    }

    /// <summary>Plans one column's value and returns the size of the whole repeated Column field.</summary>
    private int PlanColumn(ChangeItem item, RelationEncoding encoding, TupleData tuple, int index, ref ValuePlan plan, int field)
    {
        var kind = tuple.GetKind(index);
        try
        {
            if (!ValuePlanner.TryPlan(encoding.KindOf(index), kind, tuple.GetRawMemory(index), _scratch, ref plan))
            {
                var column = encoding.ColumnAt(index);
                plan.Form = ValuePlanForm.Message;
                plan.Message = _converter.Convert(column.TypeOid, column.TypeModifier, kind, tuple.GetRaw(index));
                plan.Size = plan.Message.CalculateSize();
            }
        }
        catch (PgOutputException e)
        {
            throw InColumn(e, item, encoding.ColumnAt(index));
        }

        var content = ColumnContentSize(encoding.ColumnHeads[index], plan.Size);
        return ProtoWire.LengthDelimitedSize(field, content);
    }

    /// <summary>The column's fields 1 to 4 (encoded once per relation) and its value, field 5.</summary>
    private static int ColumnContentSize(byte[] head, int valueSize)
        => head.Length + ProtoWire.LengthDelimitedSize(5, valueSize);

    private void WriteColumn(ref ProtoSpanWriter writer, byte[] head, ref ValuePlan plan, int field)
    {
        writer.Tag(field, ProtoWire.LengthDelimited);
        writer.Varint((uint)ColumnContentSize(head, plan.Size));
        head.CopyTo(writer.Reserve(head.Length));
        writer.Tag(5, ProtoWire.LengthDelimited);
        writer.Varint((uint)plan.Size);
        switch (plan.Form)
        {
            case ValuePlanForm.Varint:
                writer.VarintField(plan.Field, plan.Number);
                break;
            case ValuePlanForm.Fixed64:
                writer.Fixed64Field(plan.Field, plan.Number);
                break;
            case ValuePlanForm.Raw:
                writer.BytesField(plan.Field, plan.Raw.Span);
                break;
            case ValuePlanForm.Scratch:
                writer.BytesField(plan.Field, _scratch.Slice(plan.ScratchOffset, plan.ScratchLength));
                break;
            default:
                plan.Message!.WriteTo(writer.Reserve(plan.Size));
                break;
        }
    }

    /// <summary>Field 2 (the database name), encoded again only when the name changes.</summary>
    private byte[] DatabaseField(string database)
    {
        if (!ReferenceEquals(database, _database) && !string.Equals(database, _database, StringComparison.Ordinal))
        {
            var size = ProtoWire.StringSize(2, database);
            var bytes = new byte[size];
            var writer = new ProtoSpanWriter(bytes);
            writer.StringField(2, database);
            _databaseField = bytes;
        }

        _database = database;
        return _databaseField;
    }

    /// <summary>Size of every event field except the rows.</summary>
    private static int EnvelopeSize(ChangeItem item, byte[] databaseField, RelationEncoding? encoding)
    {
        var size = 0;
        var operation = (ulong)OperationOf(item.Kind);
        size += operation != 0 ? 1 + ProtoWire.VarintSize(operation) : 0;
        size += databaseField.Length;
        if (item.Relation is { } relation)
        {
            size += encoding!.Names.Length + encoding.KeyColumns.Length;
            size += relation.Id != 0 ? 1 + ProtoWire.VarintSize(relation.Id) : 0;
        }

        size += item.CommitLsn.Value != 0 ? 1 + ProtoWire.VarintSize(item.CommitLsn.Value) : 0;
        size += item.EndLsn.Value != 0 ? 1 + ProtoWire.VarintSize(item.EndLsn.Value) : 0;
        size += item.Xid != 0 ? 1 + ProtoWire.VarintSize(item.Xid) : 0;
        size += item.CommitTimeMicros != 0 ? 1 + ProtoWire.VarintSize((ulong)item.CommitTimeMicros) : 0;
        size += item.Index != 0 ? 1 + ProtoWire.VarintSize((uint)item.Index) : 0;
        size += item.IsLast ? 2 : 0;
        size += item.OldRow is not null && item.Relation is not null && item.OldRowIsFull ? 2 : 0;
        size += ProtoWire.StringSize(16, item.Origin ?? string.Empty);
        if (item.Kind == ChangeKind.Truncate)
        {
            size += (item.TruncateOptions & TruncateOptions.Cascade) != 0 ? 3 : 0;
            size += (item.TruncateOptions & TruncateOptions.RestartIdentity) != 0 ? 3 : 0;
        }

        if (item.Message is { } message)
        {
            size += ProtoWire.LengthDelimitedSize(19, MessageContentSize(message));
        }

        return size;
    }

    private static int MessageContentSize(LogicalMessage message)
        => ProtoWire.StringSize(1, message.Prefix)
            + (message.Content.Length != 0 ? ProtoWire.LengthDelimitedSize(2, message.Content.Length) : 0)
            + (message.Transactional ? 2 : 0);

    /// <summary>Fields 1 to 11, which come before the rows (fields are written in number order, as Google.Protobuf does).</summary>
    private static void WriteEnvelopeHead(ref ProtoSpanWriter writer, ChangeItem item, byte[] databaseField, RelationEncoding? encoding)
    {
        var operation = (ulong)OperationOf(item.Kind);
        if (operation != 0)
        {
            writer.VarintField(1, operation);
        }

        databaseField.CopyTo(writer.Reserve(databaseField.Length));
        if (encoding is not null)
        {
            encoding.Names.CopyTo(writer.Reserve(encoding.Names.Length));
        }

        if (item.CommitLsn.Value != 0)
        {
            writer.VarintField(5, item.CommitLsn.Value);
        }

        if (item.EndLsn.Value != 0)
        {
            writer.VarintField(6, item.EndLsn.Value);
        }

        if (item.Xid != 0)
        {
            writer.VarintField(7, item.Xid);
        }

        if (item.CommitTimeMicros != 0)
        {
            writer.VarintField(8, (ulong)item.CommitTimeMicros);
        }

        if (item.Index != 0)
        {
            writer.VarintField(9, (uint)item.Index);
        }

        if (item.IsLast)
        {
            writer.VarintField(10, 1);
        }

        if (encoding is not null)
        {
            encoding.KeyColumns.CopyTo(writer.Reserve(encoding.KeyColumns.Length));
        }
    }

    /// <summary>Fields 14 to 19, after the rows.</summary>
    private static void WriteEnvelopeTail(ref ProtoSpanWriter writer, ChangeItem item)
    {
        if (item.OldRow is not null && item.Relation is not null && item.OldRowIsFull)
        {
            writer.VarintField(14, 1);
        }

        if (item.Relation is { } relation && relation.Id != 0)
        {
            writer.VarintField(15, relation.Id);
        }

        writer.StringField(16, item.Origin ?? string.Empty);
        if (item.Kind == ChangeKind.Truncate)
        {
            if ((item.TruncateOptions & TruncateOptions.Cascade) != 0)
            {
                writer.VarintField(17, 1);
            }

            if ((item.TruncateOptions & TruncateOptions.RestartIdentity) != 0)
            {
                writer.VarintField(18, 1);
            }
        }

        if (item.Message is { } message)
        {
            writer.Tag(19, ProtoWire.LengthDelimited);
            writer.Varint((uint)MessageContentSize(message));
            writer.StringField(1, message.Prefix);
            if (message.Content.Length != 0)
            {
                writer.BytesField(2, message.Content.Span);
            }

            if (message.Transactional)
            {
                writer.VarintField(3, 1);
            }
        }
    }

    private static void EnsureCapacity<T>(ref T[] array, int count)
    {
        if (array.Length < count)
        {
            array = new T[Math.Max(count, array.Length * 2)];
        }
    }

    private static Column ToColumn(ColumnInfo column, Value value) => new()
    {
        Name = column.Name,
        TypeOid = column.TypeOid,
        TypeName = column.TypeName,
        TypeModifier = column.TypeModifier,
        Value = value,
    };
}
