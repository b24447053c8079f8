using System.Collections.Concurrent;
using System.Globalization;
using Cdc.Decoding;
using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>
/// Resolves user-defined types (enums, domains, composites, arrays and ranges of them) from pg_type on
/// a regular connection, once per OID. Called on the decoding path only for types that are not built
/// in, so the synchronous query is rare. A type pg_type does not have is cached as unknown (its values go
/// out as text). A lookup that fails (the server refuses the connection, the query times out) interrupts the
/// session instead: returning "unknown" would fix the type's values in text form for the rest of the session
/// (the decoder and the converter keep what they were told), so the same column would change form silently.
/// The session reconnects with backoff and the lookup is tried again; nothing is lost.
/// </summary>
/// <param name="connectionString">Called at every connect, so a password from <c>Cdc:PasswordFile</c> is read afresh.</param>
internal sealed class CatalogTypeResolver(Func<string> connectionString) : ITypeResolver, IAsyncDisposable
{
    private const string TypeQuery = """
        SELECT n.nspname, t.typname, t.typtype, t.typcategory, t.typelem, t.typbasetype, t.typtypmod, t.typrelid,
               COALESCE((SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = t.oid OR r.rngmultitypid = t.oid LIMIT 1), 0)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.oid = $1
        """;

    private const string FieldQuery = """
        SELECT attname, atttypid, atttypmod FROM pg_attribute
        WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum
        """;

    private readonly ConcurrentDictionary<uint, PgTypeInfo?> _cache = new();
    private readonly object _gate = new();
    private NpgsqlConnection? _connection;

    /// <summary>Forgets what was looked up (a new session may follow an ALTER TYPE).</summary>
    public void Clear() => _cache.Clear();

    /// <exception cref="ReplicationInterruptedException">The lookup failed; the session should reconnect.</exception>
    public PgTypeInfo? Resolve(uint typeOid)
    {
        if (_cache.TryGetValue(typeOid, out var known))
        {
            return known;
        }

        lock (_gate)
        {
            if (_cache.TryGetValue(typeOid, out known))
            {
                return known;
            }

            PgTypeInfo? info;
            try
            {
                info = Query(typeOid);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or ReplicationInterruptedException)
            {
                _connection?.Dispose();
                _connection = null;
                throw new ReplicationInterruptedException(
                    $"cannot look up type {typeOid.ToString(CultureInfo.InvariantCulture)} in pg_type (its values would otherwise lose their type): {e.GetBaseException().Message}", e);
            }

            _cache[typeOid] = info;
            return info;
        }
    }

    private PgTypeInfo? Query(uint oid)
    {
        var conn = _connection;
        if (conn is null)
        {
            conn = new NpgsqlConnection(connectionString());
            conn.Open();
            _connection = conn;
        }

        string ns, name;
        char typtype, category;
        uint element, baseType, relid, subtype;
        int typmod;
        using (var cmd = new NpgsqlCommand(TypeQuery, conn))
        {
            cmd.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Oid, oid);
            using var reader = cmd.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            ns = reader.GetString(0);
            name = reader.GetString(1);
            typtype = reader.GetChar(2);
            category = reader.GetChar(3);
            element = reader.GetFieldValue<uint>(4);
            baseType = reader.GetFieldValue<uint>(5);
            typmod = reader.GetInt32(6);
            relid = reader.GetFieldValue<uint>(7);
            subtype = reader.GetFieldValue<uint>(8);
        }

        var kind = typtype switch
        {
            'e' => PgTypeKind.Enum,
            'd' => PgTypeKind.Domain,
            'c' => PgTypeKind.Composite,
            'r' => PgTypeKind.Range,
            'm' => PgTypeKind.Multirange,
            'p' => PgTypeKind.Pseudo,
            _ when category == 'A' && element != 0 => PgTypeKind.Array,
            _ => PgTypeKind.Base,
        };

        var fields = new List<PgCompositeField>();
        if (kind == PgTypeKind.Composite && relid != 0)
        {
            using var cmd = new NpgsqlCommand(FieldQuery, conn);
            cmd.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Oid, relid);
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                fields.Add(new PgCompositeField(reader.GetString(0), reader.GetFieldValue<uint>(1), reader.GetInt32(2)));
            }
        }

        return new PgTypeInfo(oid, ns, name, kind)
        {
            ElementOid = kind == PgTypeKind.Array ? element : 0,
            BaseOid = kind == PgTypeKind.Domain ? baseType : 0,
            BaseTypeModifier = kind == PgTypeKind.Domain ? typmod : -1,
            SubtypeOid = subtype,
            Fields = fields,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is { } c)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
    }
}
