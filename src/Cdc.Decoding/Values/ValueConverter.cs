using System.Globalization;
using Cdc.V1;

namespace Cdc.Decoding.Values;

/// <summary>
/// Converts one column value — pgoutput text output (<c>t</c>) or binary send format (<c>b</c>) — to a typed
/// <see cref="Value"/>: every PostgreSQL 15 built-in type exactly (numeric never through a double), arrays of
/// any dimension with NULL elements, ranges, multiranges, and through an <see cref="ITypeResolver"/> enums,
/// domains (as their base type) and composite types. A type with no typed mapping is kept in its text form
/// (or as raw bytes when only its binary form was sent). Malformed bytes throw a <see cref="PgOutputException"/>.
/// </summary>
/// <remarks>
/// Text forms are read in PostgreSQL's default output settings: <c>DateStyle = ISO</c>,
/// <c>IntervalStyle = postgres</c>, <c>bytea_output</c> hex or escape, <c>extra_float_digits</c> ≥ 1.
/// Not thread-safe (it caches type shapes): use one per decoding thread.
/// </remarks>
public sealed class ValueConverter
{
    private const int MaxDomainDepth = 16;

    /// <summary>
    /// Deepest nesting of arrays, ranges, multiranges and composites inside one value. Binary values name the
    /// types of their elements and fields themselves (<c>record</c> inside <c>record</c>), so a value from the
    /// data can nest as deep as its length allows; without a cap a ~240 KB value recurses until the stack
    /// overflows and the process dies at the same LSN on every restart. PostgreSQL caps array dimensions at 6
    /// (MAXDIM) and an array's elements are never arrays, so real nesting comes from composite types whose
    /// fields are composites (or arrays or ranges of them), which schemas keep to a handful of levels; 64
    /// leaves ample room for those while keeping the deepest recursion to a few tens of KB of stack.
    /// </summary>
    public const int MaxNestingDepth = 64;

    private static readonly TypeShape _unknown = new(PgValueKind.Other, "unknown", 0, []);

    private readonly ITypeResolver? _resolver;
    private readonly Dictionary<uint, TypeShape> _shapes = [];
    private readonly Dictionary<uint, string> _names = [];

    public ValueConverter(ITypeResolver? resolver = null)
    {
        _resolver = resolver;
    }

    /// <summary>SQL NULL. Shared: do not modify.</summary>
    public static Value Null { get; } = new() { Null = true };

    /// <summary>An unchanged TOASTed value that the server did not send. Shared: do not modify.</summary>
    public static Value UnchangedToast { get; } = new() { UnchangedToast = true };

    /// <summary>Converts a value as it came in a TupleData column.</summary>
    public Value Convert(uint typeOid, int typeModifier, TupleValueKind kind, ReadOnlySpan<byte> raw)
    {
        _ = typeModifier; // Every format here is self-describing (numeric dscale, bit length, padded bpchar).
        return kind switch
        {
            TupleValueKind.Null => Null,
            TupleValueKind.UnchangedToast => UnchangedToast,
            TupleValueKind.Text => ConvertText(typeOid, raw),
            TupleValueKind.Binary => ConvertBinary(typeOid, raw),
            _ => throw new PgOutputException($"Unknown tuple value kind 0x{(byte)kind:X2}"),
        };
    }

    /// <summary>Converts a value's text output (UTF-8).</summary>
    public Value ConvertText(uint typeOid, ReadOnlySpan<byte> text) => ConvertText(typeOid, text, 0);

    /// <summary>Converts a value's text output nested <paramref name="depth"/> levels inside another value.</summary>
    internal Value ConvertText(uint typeOid, ReadOnlySpan<byte> text, int depth)
    {
        var shape = Shape(typeOid);
        switch (shape.Kind)
        {
            case PgValueKind.Array:
                return ArrayText.Parse(this, shape, text, Nest(depth, shape));
            case PgValueKind.Range:
                return new Value { Range = RangeValues.FromText(this, shape.RelatedOid, text, shape.Name, Nest(depth, shape)) };
            case PgValueKind.Multirange:
                return new Value { Multirange = RangeValues.MultirangeFromText(this, shape.RelatedOid, text, shape.Name, Nest(depth, shape)) };
            case PgValueKind.Composite when shape.Fields.Count > 0:
                return new Value { Composite = CompositeValues.FromText(this, shape, text, Nest(depth, shape)) };
            default:
                return ScalarText.Convert(shape.Kind, text, shape.Name);
        }
    }

    /// <summary>Converts a value's binary send format.</summary>
    public Value ConvertBinary(uint typeOid, ReadOnlySpan<byte> data) => ConvertBinary(typeOid, data, 0);

    /// <summary>Converts a value's binary send format nested <paramref name="depth"/> levels inside another value.</summary>
    internal Value ConvertBinary(uint typeOid, ReadOnlySpan<byte> data, int depth)
    {
        var shape = Shape(typeOid);
        return shape.Kind switch
        {
            PgValueKind.Array => ArrayBinary.Parse(this, shape, data, Nest(depth, shape)),
            PgValueKind.Range => new Value { Range = RangeValues.FromBinary(this, shape.RelatedOid, data, shape.Name, Nest(depth, shape)) },
            PgValueKind.Multirange => new Value { Multirange = RangeValues.MultirangeFromBinary(this, shape.RelatedOid, data, shape.Name, Nest(depth, shape)) },
            PgValueKind.Composite => new Value { Composite = CompositeValues.FromBinary(this, shape, data, Nest(depth, shape)) },
            _ => ScalarBinary.Convert(shape.Kind, data, shape.Name),
        };
    }

    /// <summary>The depth of the values inside a container value at <paramref name="depth"/>; refuses one level too many.</summary>
    private static int Nest(int depth, TypeShape shape)
        => depth < MaxNestingDepth ? depth + 1 : throw ValueErrors.TooDeep(shape.Name, MaxNestingDepth);

    /// <summary>The type's name: built-in, from the resolver, or <c>oid:N</c>.</summary>
    public string TypeName(uint typeOid)
    {
        if (BuiltinTypes.TryGet(typeOid, out var builtin))
        {
            return builtin.Name;
        }

        if (!_names.TryGetValue(typeOid, out var name))
        {
            name = _resolver?.Resolve(typeOid)?.Name ?? "oid:" + typeOid.ToString(CultureInfo.InvariantCulture);
            _names[typeOid] = name;
        }

        return name;
    }

    /// <summary>How values of a type are converted (domains resolved to their base type).</summary>
    public PgValueKind KindOf(uint typeOid) => Shape(typeOid).Kind;

    /// <summary>
    /// Forgets what was learnt about custom types (resolved again on next use). Call it when types may have
    /// changed: a new replication session, or a Relation message after ALTER TYPE.
    /// </summary>
    public void ClearTypeCache()
    {
        _shapes.Clear();
        _names.Clear();
        TypeCacheGeneration++;
    }

    /// <summary>Counts <see cref="ClearTypeCache"/> calls: what was cached from this converter under an older generation is stale.</summary>
    internal int TypeCacheGeneration { get; private set; }

    /// <summary>The element type of an array, the subtype of a range or multirange; 0 for other types.</summary>
    public uint RelatedTypeOf(uint typeOid) => Shape(typeOid).RelatedOid;

    internal TypeShape Shape(uint typeOid)
    {
        if (_shapes.TryGetValue(typeOid, out var shape))
        {
            return shape;
        }

        shape = Build(typeOid, 0);
        _shapes[typeOid] = shape;
        return shape;
    }

    private TypeShape Build(uint typeOid, int depth)
    {
        if (BuiltinTypes.TryGet(typeOid, out var builtin))
        {
            var related = builtin.RelatedOid;
            if (builtin.Kind == PgValueKind.Multirange && BuiltinTypes.TryGet(related, out var range))
            {
                // Conversion needs the range's subtype.
                related = range.RelatedOid;
            }

            return new TypeShape(builtin.Kind, builtin.Name, related, []);
        }

        var info = _resolver?.Resolve(typeOid);
        if (info is null)
        {
            return _unknown with { Name = "oid:" + typeOid.ToString(CultureInfo.InvariantCulture) };
        }

        switch (info.Kind)
        {
            case PgTypeKind.Domain when depth < MaxDomainDepth && info.BaseOid != 0:
                return Build(info.BaseOid, depth + 1);
            case PgTypeKind.Enum:
                return new TypeShape(PgValueKind.Enum, info.Name, 0, []);
            case PgTypeKind.Composite:
                return new TypeShape(PgValueKind.Composite, info.Name, 0, info.Fields);
            case PgTypeKind.Array when info.ElementOid != 0:
                return new TypeShape(PgValueKind.Array, info.Name, info.ElementOid, []);
            case PgTypeKind.Range when info.SubtypeOid != 0:
                return new TypeShape(PgValueKind.Range, info.Name, info.SubtypeOid, []);
            case PgTypeKind.Multirange when info.SubtypeOid != 0:
                return new TypeShape(PgValueKind.Multirange, info.Name, info.SubtypeOid, []);
            default:
                return new TypeShape(PgValueKind.Other, info.Name, 0, []);
        }
    }
}
