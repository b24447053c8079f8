using Npgsql;

namespace Cdc.Decoding.ValueTests;

/// <summary>Test resolver: loads every user type (OID ≥ 16384) of a database from pg_type once.</summary>
internal sealed class CatalogTypeResolver : ITypeResolver
{
    private readonly Dictionary<uint, PgTypeInfo> _types = [];

    public PgTypeInfo? Resolve(uint typeOid) => _types.GetValueOrDefault(typeOid);

    public static async Task<CatalogTypeResolver> LoadAsync(string connectionString)
    {
        var resolver = new CatalogTypeResolver();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var fields = new Dictionary<uint, List<PgCompositeField>>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT t.oid, a.attname, a.atttypid, a.atttypmod FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid
            WHERE t.oid >= 16384 AND t.typtype = 'c' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY t.oid, a.attnum
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var oid = reader.GetFieldValue<uint>(0);
                if (!fields.TryGetValue(oid, out var list))
                {
                    fields[oid] = list = [];
                }

                list.Add(new PgCompositeField(reader.GetString(1), reader.GetFieldValue<uint>(2), reader.GetInt32(3)));
            }
        }

        await using (var command = new NpgsqlCommand(
            """
            SELECT t.oid, n.nspname, t.typname, t.typtype::text, t.typcategory::text, t.typelem, t.typbasetype, t.typtypmod,
                   COALESCE(r.rngsubtype, m.rngsubtype, 0::oid)
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_range r ON r.rngtypid = t.oid LEFT JOIN pg_range m ON m.rngmultitypid = t.oid
            WHERE t.oid >= 16384
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var oid = reader.GetFieldValue<uint>(0);
                var kind = reader.GetString(3) switch
                {
                    "e" => PgTypeKind.Enum,
                    "d" => PgTypeKind.Domain,
                    "c" => PgTypeKind.Composite,
                    "r" => PgTypeKind.Range,
                    "m" => PgTypeKind.Multirange,
                    "p" => PgTypeKind.Pseudo,
                    _ => reader.GetString(4) == "A" ? PgTypeKind.Array : PgTypeKind.Base,
                };
                resolver._types[oid] = new PgTypeInfo(oid, reader.GetString(1), reader.GetString(2), kind)
                {
                    ElementOid = reader.GetFieldValue<uint>(5),
                    BaseOid = reader.GetFieldValue<uint>(6),
                    BaseTypeModifier = reader.GetInt32(7),
                    SubtypeOid = reader.GetFieldValue<uint>(8),
                    Fields = fields.TryGetValue(oid, out var list) ? list : [],
                };
            }
        }

        return resolver;
    }
}
