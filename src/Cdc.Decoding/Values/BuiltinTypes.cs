using System.Collections.Frozen;

namespace Cdc.Decoding.Values;

/// <summary>
/// The built-in types of PostgreSQL 15 (pg_type rows with OID below 10000, catalog row types left out).
/// OIDs of built-in types are fixed across installations, so no catalog lookup is needed for them.
/// </summary>
public static class BuiltinTypes
{
    private static readonly FrozenDictionary<uint, BuiltinType> _types = Build();

    /// <summary>Looks up a built-in type by OID.</summary>
    public static bool TryGet(uint oid, out BuiltinType type) => _types.TryGetValue(oid, out type);

    /// <summary>The type name of a built-in type, or null.</summary>
    public static string? NameOf(uint oid) => _types.TryGetValue(oid, out var type) ? type.Name : null;

    /// <summary>All built-in types.</summary>
    public static IEnumerable<BuiltinType> All => _types.Values;

    private static FrozenDictionary<uint, BuiltinType> Build()
    {
        var types = new Dictionary<uint, BuiltinType>(160);
        void Add(uint oid, string name, PgValueKind kind, uint related) => types.Add(oid, new BuiltinType(oid, name, kind, related));

        Add(16, "bool", PgValueKind.Bool, 0);
        Add(17, "bytea", PgValueKind.Bytea, 0);
        Add(18, "char", PgValueKind.Char, 0);
        Add(19, "name", PgValueKind.Text, 0);
        Add(20, "int8", PgValueKind.Int8, 0);
        Add(21, "int2", PgValueKind.Int2, 0);
        Add(22, "int2vector", PgValueKind.Other, 0);
        Add(23, "int4", PgValueKind.Int4, 0);
        Add(24, "regproc", PgValueKind.Oid, 0);
        Add(25, "text", PgValueKind.Text, 0);
        Add(26, "oid", PgValueKind.Oid, 0);
        Add(27, "tid", PgValueKind.Tid, 0);
        Add(28, "xid", PgValueKind.Oid, 0);
        Add(29, "cid", PgValueKind.Oid, 0);
        Add(30, "oidvector", PgValueKind.Other, 0);
        Add(114, "json", PgValueKind.Json, 0);
        Add(142, "xml", PgValueKind.Text, 0);
        Add(143, "_xml", PgValueKind.Array, 142);
        Add(194, "pg_node_tree", PgValueKind.Text, 0);
        Add(199, "_json", PgValueKind.Array, 114);
        Add(271, "_xid8", PgValueKind.Array, 5069);
        Add(600, "point", PgValueKind.Point, 0);
        Add(601, "lseg", PgValueKind.Lseg, 0);
        Add(602, "path", PgValueKind.Path, 0);
        Add(603, "box", PgValueKind.Box, 0);
        Add(604, "polygon", PgValueKind.Polygon, 0);
        Add(628, "line", PgValueKind.Line, 0);
        Add(629, "_line", PgValueKind.Array, 628);
        Add(650, "cidr", PgValueKind.Cidr, 0);
        Add(651, "_cidr", PgValueKind.Array, 650);
        Add(700, "float4", PgValueKind.Float4, 0);
        Add(701, "float8", PgValueKind.Float8, 0);
        Add(718, "circle", PgValueKind.Circle, 0);
        Add(719, "_circle", PgValueKind.Array, 718);
        Add(774, "macaddr8", PgValueKind.MacAddr8, 0);
        Add(775, "_macaddr8", PgValueKind.Array, 774);
        Add(790, "money", PgValueKind.Money, 0);
        Add(791, "_money", PgValueKind.Array, 790);
        Add(829, "macaddr", PgValueKind.MacAddr, 0);
        Add(869, "inet", PgValueKind.Inet, 0);
        Add(1000, "_bool", PgValueKind.Array, 16);
        Add(1001, "_bytea", PgValueKind.Array, 17);
        Add(1002, "_char", PgValueKind.Array, 18);
        Add(1003, "_name", PgValueKind.Array, 19);
        Add(1005, "_int2", PgValueKind.Array, 21);
        Add(1006, "_int2vector", PgValueKind.Array, 22);
        Add(1007, "_int4", PgValueKind.Array, 23);
        Add(1008, "_regproc", PgValueKind.Array, 24);
        Add(1009, "_text", PgValueKind.Array, 25);
        Add(1010, "_tid", PgValueKind.Array, 27);
        Add(1011, "_xid", PgValueKind.Array, 28);
        Add(1012, "_cid", PgValueKind.Array, 29);
        Add(1013, "_oidvector", PgValueKind.Array, 30);
        Add(1014, "_bpchar", PgValueKind.Array, 1042);
        Add(1015, "_varchar", PgValueKind.Array, 1043);
        Add(1016, "_int8", PgValueKind.Array, 20);
        Add(1017, "_point", PgValueKind.Array, 600);
        Add(1018, "_lseg", PgValueKind.Array, 601);
        Add(1019, "_path", PgValueKind.Array, 602);
        Add(1020, "_box", PgValueKind.Array, 603);
        Add(1021, "_float4", PgValueKind.Array, 700);
        Add(1022, "_float8", PgValueKind.Array, 701);
        Add(1027, "_polygon", PgValueKind.Array, 604);
        Add(1028, "_oid", PgValueKind.Array, 26);
        Add(1033, "aclitem", PgValueKind.Other, 0);
        Add(1034, "_aclitem", PgValueKind.Array, 1033);
        Add(1040, "_macaddr", PgValueKind.Array, 829);
        Add(1041, "_inet", PgValueKind.Array, 869);
        Add(1042, "bpchar", PgValueKind.Text, 0);
        Add(1043, "varchar", PgValueKind.Text, 0);
        Add(1082, "date", PgValueKind.Date, 0);
        Add(1083, "time", PgValueKind.Time, 0);
        Add(1114, "timestamp", PgValueKind.Timestamp, 0);
        Add(1115, "_timestamp", PgValueKind.Array, 1114);
        Add(1182, "_date", PgValueKind.Array, 1082);
        Add(1183, "_time", PgValueKind.Array, 1083);
        Add(1184, "timestamptz", PgValueKind.TimestampTz, 0);
        Add(1185, "_timestamptz", PgValueKind.Array, 1184);
        Add(1186, "interval", PgValueKind.Interval, 0);
        Add(1187, "_interval", PgValueKind.Array, 1186);
        Add(1231, "_numeric", PgValueKind.Array, 1700);
        Add(1263, "_cstring", PgValueKind.Array, 2275);
        Add(1266, "timetz", PgValueKind.TimeTz, 0);
        Add(1270, "_timetz", PgValueKind.Array, 1266);
        Add(1560, "bit", PgValueKind.Bit, 0);
        Add(1561, "_bit", PgValueKind.Array, 1560);
        Add(1562, "varbit", PgValueKind.Bit, 0);
        Add(1563, "_varbit", PgValueKind.Array, 1562);
        Add(1700, "numeric", PgValueKind.Numeric, 0);
        Add(1790, "refcursor", PgValueKind.Text, 0);
        Add(2201, "_refcursor", PgValueKind.Array, 1790);
        Add(2202, "regprocedure", PgValueKind.Oid, 0);
        Add(2203, "regoper", PgValueKind.Oid, 0);
        Add(2204, "regoperator", PgValueKind.Oid, 0);
        Add(2205, "regclass", PgValueKind.Oid, 0);
        Add(2206, "regtype", PgValueKind.Oid, 0);
        Add(2207, "_regprocedure", PgValueKind.Array, 2202);
        Add(2208, "_regoper", PgValueKind.Array, 2203);
        Add(2209, "_regoperator", PgValueKind.Array, 2204);
        Add(2210, "_regclass", PgValueKind.Array, 2205);
        Add(2211, "_regtype", PgValueKind.Array, 2206);
        Add(2249, "record", PgValueKind.Composite, 0);
        Add(2275, "cstring", PgValueKind.Other, 0);
        Add(2287, "_record", PgValueKind.Array, 2249);
        Add(2949, "_txid_snapshot", PgValueKind.Array, 2970);
        Add(2950, "uuid", PgValueKind.Uuid, 0);
        Add(2951, "_uuid", PgValueKind.Array, 2950);
        Add(2970, "txid_snapshot", PgValueKind.Snapshot, 0);
        Add(3220, "pg_lsn", PgValueKind.PgLsn, 0);
        Add(3221, "_pg_lsn", PgValueKind.Array, 3220);
        Add(3361, "pg_ndistinct", PgValueKind.Other, 0);
        Add(3402, "pg_dependencies", PgValueKind.Other, 0);
        Add(3614, "tsvector", PgValueKind.TsVector, 0);
        Add(3615, "tsquery", PgValueKind.TsQuery, 0);
        Add(3642, "gtsvector", PgValueKind.Other, 0);
        Add(3643, "_tsvector", PgValueKind.Array, 3614);
        Add(3644, "_gtsvector", PgValueKind.Array, 3642);
        Add(3645, "_tsquery", PgValueKind.Array, 3615);
        Add(3734, "regconfig", PgValueKind.Oid, 0);
        Add(3735, "_regconfig", PgValueKind.Array, 3734);
        Add(3769, "regdictionary", PgValueKind.Oid, 0);
        Add(3770, "_regdictionary", PgValueKind.Array, 3769);
        Add(3802, "jsonb", PgValueKind.Jsonb, 0);
        Add(3807, "_jsonb", PgValueKind.Array, 3802);
        Add(3904, "int4range", PgValueKind.Range, 23);
        Add(3905, "_int4range", PgValueKind.Array, 3904);
        Add(3906, "numrange", PgValueKind.Range, 1700);
        Add(3907, "_numrange", PgValueKind.Array, 3906);
        Add(3908, "tsrange", PgValueKind.Range, 1114);
        Add(3909, "_tsrange", PgValueKind.Array, 3908);
        Add(3910, "tstzrange", PgValueKind.Range, 1184);
        Add(3911, "_tstzrange", PgValueKind.Array, 3910);
        Add(3912, "daterange", PgValueKind.Range, 1082);
        Add(3913, "_daterange", PgValueKind.Array, 3912);
        Add(3926, "int8range", PgValueKind.Range, 20);
        Add(3927, "_int8range", PgValueKind.Array, 3926);
        Add(4072, "jsonpath", PgValueKind.JsonPath, 0);
        Add(4073, "_jsonpath", PgValueKind.Array, 4072);
        Add(4089, "regnamespace", PgValueKind.Oid, 0);
        Add(4090, "_regnamespace", PgValueKind.Array, 4089);
        Add(4096, "regrole", PgValueKind.Oid, 0);
        Add(4097, "_regrole", PgValueKind.Array, 4096);
        Add(4191, "regcollation", PgValueKind.Oid, 0);
        Add(4192, "_regcollation", PgValueKind.Array, 4191);
        Add(4451, "int4multirange", PgValueKind.Multirange, 3904);
        Add(4532, "nummultirange", PgValueKind.Multirange, 3906);
        Add(4533, "tsmultirange", PgValueKind.Multirange, 3908);
        Add(4534, "tstzmultirange", PgValueKind.Multirange, 3910);
        Add(4535, "datemultirange", PgValueKind.Multirange, 3912);
        Add(4536, "int8multirange", PgValueKind.Multirange, 3926);
        Add(4600, "pg_brin_bloom_summary", PgValueKind.Other, 0);
        Add(4601, "pg_brin_minmax_multi_summary", PgValueKind.Other, 0);
        Add(5017, "pg_mcv_list", PgValueKind.Other, 0);
        Add(5038, "pg_snapshot", PgValueKind.Snapshot, 0);
        Add(5039, "_pg_snapshot", PgValueKind.Array, 5038);
        Add(5069, "xid8", PgValueKind.Xid8, 0);
        Add(6150, "_int4multirange", PgValueKind.Array, 4451);
        Add(6151, "_nummultirange", PgValueKind.Array, 4532);
        Add(6152, "_tsmultirange", PgValueKind.Array, 4533);
        Add(6153, "_tstzmultirange", PgValueKind.Array, 4534);
        Add(6155, "_datemultirange", PgValueKind.Array, 4535);
        Add(6157, "_int8multirange", PgValueKind.Array, 4536);
        return types.ToFrozenDictionary();
    }
}
