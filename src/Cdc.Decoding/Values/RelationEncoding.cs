using Cdc.V1;

namespace Cdc.Decoding.Values;

/// <summary>
/// The parts of a <c>ChangeEvent</c> that are the same for every row of one relation, encoded once: the
/// schema and table fields, the key column names, and each column's fields before its value (name, type
/// OID, type name, type modifier). Each column's <see cref="PgValueKind"/> is looked up on its first use.
/// </summary>
/// <remarks>
/// Kept on the <see cref="RelationInfo"/>: a Relation message makes a new instance, so this never describes
/// an older shape of the table. It belongs to one <see cref="ValueConverter"/> and one generation of its type
/// cache (<see cref="ValueConverter.ClearTypeCache"/> starts a new one); another converter or generation builds
/// a new one.
/// </remarks>
internal sealed class RelationEncoding
{
    private const PgValueKind NotLookedUp = (PgValueKind)byte.MaxValue;

    private readonly ValueConverter _converter;
    private readonly int _generation;
    private readonly IReadOnlyList<ColumnInfo> _columns;
    private readonly PgValueKind[] _kinds;

    private RelationEncoding(RelationInfo relation, ValueConverter converter)
    {
        _converter = converter;
        _generation = converter.TypeCacheGeneration;
        _columns = relation.Columns;
        _kinds = new PgValueKind[_columns.Count];
        System.Array.Fill(_kinds, NotLookedUp);
        ColumnHeads = new byte[_columns.Count][];
        for (var i = 0; i < ColumnHeads.Length; i++)
        {
            ColumnHeads[i] = EncodeColumnHead(_columns[i]);
        }

        Names = EncodeNames(relation);
        KeyColumns = EncodeKeyColumns(relation.KeyColumnNames);
    }

    /// <summary>Fields 3 (schema) and 4 (table) of the event.</summary>
    public byte[] Names { get; }

    /// <summary>The repeated field 11 (key column names).</summary>
    public byte[] KeyColumns { get; }

    /// <summary>Per column: fields 1 to 4 of its <c>Column</c> message (everything but the value).</summary>
    public byte[][] ColumnHeads { get; }

    /// <summary>The cached encoding of <paramref name="relation"/> for <paramref name="converter"/>, built when missing or stale.</summary>
    public static RelationEncoding For(RelationInfo relation, ValueConverter converter)
    {
        if (relation.EncoderCache is { } cached && ReferenceEquals(cached._converter, converter) && cached._generation == converter.TypeCacheGeneration)
        {
            return cached;
        }

        var built = new RelationEncoding(relation, converter);
        relation.EncoderCache = built;
        return built;
    }

    public ColumnInfo ColumnAt(int index) => _columns[index];

    /// <summary>How column <paramref name="index"/>'s values are converted (<see cref="ValueConverter.KindOf"/>, looked up once).</summary>
    public PgValueKind KindOf(int index)
    {
        var kind = _kinds[index];
        if (kind == NotLookedUp)
        {
            kind = _converter.KindOf(_columns[index].TypeOid);
            _kinds[index] = kind;
        }

        return kind;
    }

    private static byte[] EncodeColumnHead(ColumnInfo column)
    {
        var size = ProtoWire.StringSize(Column.NameFieldNumber, column.Name)
            + (column.TypeOid != 0 ? 1 + ProtoWire.VarintSize(column.TypeOid) : 0)
            + ProtoWire.StringSize(Column.TypeNameFieldNumber, column.TypeName)
            + (column.TypeModifier != 0 ? 1 + ProtoWire.Int32Size(column.TypeModifier) : 0);
        var bytes = new byte[size];
        var writer = new ProtoSpanWriter(bytes);
        writer.StringField(Column.NameFieldNumber, column.Name);
        if (column.TypeOid != 0)
        {
            writer.VarintField(Column.TypeOidFieldNumber, column.TypeOid);
        }

        writer.StringField(Column.TypeNameFieldNumber, column.TypeName);
        if (column.TypeModifier != 0)
        {
            writer.VarintField(Column.TypeModifierFieldNumber, (ulong)(long)column.TypeModifier);
        }

        Check(writer, size);
        return bytes;
    }

    private static byte[] EncodeNames(RelationInfo relation)
    {
        var size = ProtoWire.StringSize(ChangeEvent.SchemaFieldNumber, relation.Namespace) + ProtoWire.StringSize(ChangeEvent.TableFieldNumber, relation.Name);
        var bytes = new byte[size];
        var writer = new ProtoSpanWriter(bytes);
        writer.StringField(ChangeEvent.SchemaFieldNumber, relation.Namespace);
        writer.StringField(ChangeEvent.TableFieldNumber, relation.Name);
        Check(writer, size);
        return bytes;
    }

    /// <summary>Every key name as field 11, even an empty one (a repeated string keeps its empty elements).</summary>
    private static byte[] EncodeKeyColumns(IReadOnlyList<string> keys)
    {
        var size = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            size += ProtoWire.LengthDelimitedSize(ChangeEvent.KeyColumnsFieldNumber, System.Text.Encoding.UTF8.GetByteCount(keys[i]));
        }

        var bytes = new byte[size];
        var writer = new ProtoSpanWriter(bytes);
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var length = System.Text.Encoding.UTF8.GetByteCount(key);
            writer.Tag(ChangeEvent.KeyColumnsFieldNumber, ProtoWire.LengthDelimited);
            writer.Varint((uint)length);
            System.Text.Encoding.UTF8.GetBytes(key, writer.Reserve(length));
        }

        Check(writer, size);
        return bytes;
    }

    private static void Check(ProtoSpanWriter writer, int size)
    {
        if (writer.Position != size)
        {
            throw new InvalidOperationException($"relation encoding size mismatch: planned {size}, wrote {writer.Position}");
        }
    }
}
