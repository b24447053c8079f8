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
    private readonly ValueConverter _converter;

    public ChangeEventEncoder(ITypeResolver? resolver = null)
        : this(new ValueConverter(resolver))
    {
    }

    public ChangeEventEncoder(ValueConverter converter)
    {
        ArgumentNullException.ThrowIfNull(converter);
        _converter = converter;
    }

    /// <summary>Writes the event's protobuf bytes to <paramref name="output"/> and returns how many were written.</summary>
    public int Encode(ChangeItem item, string database, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var changeEvent = ToEvent(item, database);
        var size = changeEvent.CalculateSize();
        var span = output.GetSpan(size)[..size];
        changeEvent.WriteTo(span);
        output.Advance(size);
        return size;
    }

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
                var value = newRow.IsUnchangedToast(i) && fullOld is not null && i < fullOld.ColumnCount && !fullOld.IsUnchangedToast(i)
                    ? _converter.Convert(column.TypeOid, column.TypeModifier, fullOld.GetKind(i), fullOld.GetRaw(i))
                    : _converter.Convert(column.TypeOid, column.TypeModifier, newRow.GetKind(i), newRow.GetRaw(i));
                changeEvent.NewRow.Add(ToColumn(column, value));
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
                    changeEvent.OldRow.Add(ToColumn(column, _converter.Convert(column.TypeOid, column.TypeModifier, oldRow.GetKind(i), oldRow.GetRaw(i))));
                }
            }
        }

        return changeEvent;
    }

    internal static Operation OperationOf(ChangeKind kind) => kind switch
    {
        ChangeKind.Insert => Operation.Insert,
        ChangeKind.Update => Operation.Update,
        ChangeKind.Delete => Operation.Delete,
        ChangeKind.Truncate => Operation.Truncate,
        ChangeKind.Message => Operation.Message,
        _ => Operation.Unspecified,
    };

    internal static void CheckColumns(RelationInfo relation, TupleData tuple)
    {
        if (tuple.ColumnCount > relation.Columns.Count)
        {
            throw new PgOutputException($"A tuple of {relation} has {tuple.ColumnCount} columns but its relation has {relation.Columns.Count}.");
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
