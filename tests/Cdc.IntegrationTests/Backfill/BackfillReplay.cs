using System.Globalization;
using Cdc.IntegrationTests.Support;
using Cdc.V1;
using Npgsql;

namespace Cdc.IntegrationTests.Backfill;

/// <summary>
/// A consumer of a stream with online backfills, replayed onto empty maps: inserts, updates and backfill reads upsert
/// by the first column, deletes remove; a backfill marker (DeleteStale) removes the rows whose newest event is older
/// than the position the backfill started from. Checks on the way that a key's version (second column, from one
/// sequence) never goes back and that no read brings back a deleted key. Keyless tables are kept as sets of rows.
/// </summary>
internal sealed class BackfillReplay(params string[] keylessTables)
{
    private readonly Dictionary<string, Dictionary<string, (string?[] Row, ulong Lsn)>> _tables = [];
    private readonly Dictionary<string, long> _versions = [];
    private readonly HashSet<string> _deleted = [];
    private readonly HashSet<string> _keyless = [.. keylessTables];

    /// <summary>Keys (table/key) or keyless rows (table/line) published by a backfill read.</summary>
    public HashSet<string> Read { get; } = [];

    /// <summary>Keys with a streamed change at or after a backfill's start.</summary>
    public HashSet<string> StreamedSince { get; } = [];

    public int Markers { get; private set; }

    public void Apply(IReadOnlyList<StoredChange> changes, IReadOnlyList<(ulong Sequence, SnapshotEvent Marker)> markers, ulong backfillStart)
    {
        var events = changes.Select(c => (c.Sequence, Change: (ChangeEvent?)c.Event, Marker: (SnapshotEvent?)null))
            .Concat(markers.Select(m => (m.Sequence, Change: (ChangeEvent?)null, Marker: (SnapshotEvent?)m.Marker)))
            .OrderBy(e => e.Sequence);
        foreach (var (sequence, change, marker) in events)
        {
            if (marker is not null)
            {
                Assert.True(marker.Backfill, $"marker of {marker.Table} is not a backfill's");
                Markers++;
                if (!_keyless.Contains(marker.Table) && _tables.TryGetValue(marker.Table, out var rows))
                {
                    foreach (var stale in rows.Where(r => r.Value.Lsn < marker.ConsistentLsn).Select(r => r.Key).ToList())
                    {
                        rows.Remove(stale);
                    }
                }

                continue;
            }

            if (change!.Operation == Operation.Message)
            {
                continue;
            }

            Apply(change, sequence, backfillStart);
        }
    }

    private void Apply(ChangeEvent e, ulong sequence, ulong backfillStart)
    {
        var table = _tables.TryGetValue(e.Table, out var t) ? t : _tables[e.Table] = [];
        var keyless = _keyless.Contains(e.Table);
        switch (e.Operation)
        {
            case Operation.Read:
            case Operation.Insert:
            case Operation.Update:
                var row = e.NewRow.Select(c => ValueText.Render(c.Value)).ToArray();
                var key = keyless ? Line(row) : row[0]!;
                var id = e.Table + "/" + key;
                if (e.Operation == Operation.Read)
                {
                    Read.Add(id);
                    Assert.False(_deleted.Contains(id), $"{id}: a backfill read brought back a deleted row (seq {sequence})");
                }
                else if (e.EndLsn >= backfillStart)
                {
                    StreamedSince.Add(id);
                }

                if (!keyless)
                {
                    var version = long.Parse(row[1]!, CultureInfo.InvariantCulture);
                    Assert.True(!_versions.TryGetValue(id, out var last) || version >= last, $"{id} went back from version {last} to {version} (seq {sequence}, {e.Operation})");
                    _versions[id] = version;
                }

                table[key] = (row, e.EndLsn);
                break;
            case Operation.Delete:
                var deleted = ValueText.Render(e.OldRow[0].Value)!;
                table.Remove(deleted);
                _deleted.Add(e.Table + "/" + deleted);
                if (e.EndLsn >= backfillStart)
                {
                    StreamedSince.Add(e.Table + "/" + deleted);
                }

                break;
            default:
                Assert.Fail($"unexpected operation {e.Operation} at seq {sequence}");
                break;
        }
    }

    /// <summary>The replayed table equals <c>SELECT projection FROM table</c> now (for a keyless table: as sets of rows).</summary>
    public async Task AssertEqualsAsync(string connectionString, string table, string projection)
    {
        var replayed = _tables.TryGetValue(table, out var rows) ? rows.Values.Select(r => Line(r.Row)).ToHashSet() : [];
        var actual = await SelectAsync(connectionString, $"SELECT {projection} FROM {table}");
        if (_keyless.Contains(table))
        {
            actual = [.. actual.Distinct()];
        }

        var missing = actual.Except(replayed).Take(5).ToList();
        var extra = replayed.Except(actual).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && actual.Count == replayed.Count,
            $"{table}: replay ({replayed.Count} rows) differs from the table ({actual.Count} rows): missing [{string.Join("; ", missing)}], extra [{string.Join("; ", extra)}]");
    }

    public static async Task<List<string>> SelectAsync(string connectionString, string sql)
    {
        var lines = new List<string>();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
            }

            lines.Add(Line(row));
        }

        return lines;
    }

    public static string Line(string?[] row) => string.Join("|", row.Select(v => v ?? "<null>"));
}
