namespace Cdc.Decoding.Values;

/// <summary>How a PostgreSQL type's value is converted: one entry per text/send format family.</summary>
public enum PgValueKind : byte
{
    /// <summary>No typed mapping: text form kept as text; binary form of an unknown type kept as bytes.</summary>
    Other = 0,
    Bool,
    Int2,
    Int4,
    Int8,

    /// <summary>Unsigned 32-bit: oid, xid, cid and the reg* types (their text form is a name, their send form the OID).</summary>
    Oid,
    Xid8,
    Float4,
    Float8,
    Numeric,
    Money,
    Text,

    /// <summary>The one-byte <c>"char"</c> type.</summary>
    Char,
    Bytea,
    Uuid,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Json,
    Jsonb,
    JsonPath,
    Inet,
    Cidr,
    MacAddr,
    MacAddr8,
    Bit,
    TsVector,
    TsQuery,
    Point,
    Line,
    Lseg,
    Box,
    Path,
    Polygon,
    Circle,
    PgLsn,
    Tid,
    Snapshot,
    Enum,
    Array,
    Range,
    Multirange,
    Composite,
}
