using Cdc.IntegrationTests.Support;
using Cdc.V1;
using Npgsql;

namespace Cdc.IntegrationTests.Snapshot;

/// <summary>
/// A consumer of a stream with initial snapshots: read rows are staged per table and consistent point; a table's
/// marker replaces the table with what its snapshot read (DeleteStale: rows of an earlier, cut-short snapshot that the
/// complete one did not see are gone); changes after it apply as usual. Keyed tables are maps by their first column,
/// keyless tables multisets of rows. Every key's version column (the second, from one sequence) must never go back.
/// </summary>
internal sealed class SnapshotReplay
{
    private readonly Dictionary<string, Dictionary<string, string?[]>> _tables = [];
    private readonly Dictionary<string, (ulong ConsistentLsn, Dictionary<string, string?[]> Rows)> _staged = [];
    private readonly Dictionary<string, long> _versions = [];
    private readonly HashSet<string> _keyless;

    public SnapshotReplay(params string[] keylessTables) => _keyless = [.. keylessTables];

    public int ReadEvents { get; private set; }

    public int StreamedEvents { get; private set; }

    public void Apply(IReadOnlyList<StoredChange> changes, IReadOnlyList<(ulong Sequence, SnapshotEvent Marker)> markers)
    {
        var events = changes.Select(c => (c.Sequence, Change: (ChangeEvent?)c.Event, Marker: (SnapshotEvent?)null))
            .Concat(markers.Select(m => (m.Sequence, Change: (ChangeEvent?)null, Marker: (SnapshotEvent?)m.Marker)))
            .OrderBy(e => e.Sequence);
        foreach (var (sequence, change, marker) in events)
        {
            if (marker is not null)
            {
                Assert.True(_staged.TryGetValue(marker.Table, out var staged) && staged.ConsistentLsn == marker.ConsistentLsn || marker.RowCount == 0,
                    $"marker of {marker.Table} at {marker.ConsistentLsn} (seq {sequence}) without its rows");
                var rows = staged.ConsistentLsn == marker.ConsistentLsn ? staged.Rows : [];
                Assert.Equal((int)marker.RowCount, rows.Count);
                _tables[marker.Table] = rows;
                _staged.Remove(marker.Table);
                continue;
            }

            Apply(change!, sequence);
        }
    }

    private void Apply(ChangeEvent e, ulong sequence)
    {
        var keyless = _keyless.Contains(e.Table);
        var table = _tables.TryGetValue(e.Table, out var t) ? t : _tables[e.Table] = [];
        switch (e.Operation)
        {
            case Operation.Read:
                ReadEvents++;
                if (!_staged.TryGetValue(e.Table, out var staged) || staged.ConsistentLsn != e.EndLsn)
                {
                    // A snapshot at a new consistent point: whatever an earlier, unfinished one staged is dropped.
                    staged = _staged[e.Table] = (e.EndLsn, []);
                }

                Assert.Equal(e.CommitLsn, e.EndLsn);
                var row = Render(e.NewRow);
                staged.Rows[keyless ? sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) : row[0]!] = row;
                CheckVersion(e.Table, row, keyless, sequence);
                break;
            case Operation.Insert:
            case Operation.Update:
                StreamedEvents++;
                var newRow = Render(e.NewRow);
                if (e.Operation == Operation.Update && e.OldRow.Count > 0)
                {
                    table.Remove(ValueText.Render(e.OldRow[0].Value)!);
                }

                table[keyless ? sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) : newRow[0]!] = newRow;
                CheckVersion(e.Table, newRow, keyless, sequence);
                break;
            case Operation.Delete:
                StreamedEvents++;
                Assert.True(table.Remove(ValueText.Render(e.OldRow[0].Value)!), $"{e.Table}: delete of a row never seen (seq {sequence})");
                break;
            default:
                Assert.Fail($"unexpected operation {e.Operation} at seq {sequence}");
                break;
        }
    }

    private void CheckVersion(string table, string?[] row, bool keyless, ulong sequence)
    {
        if (keyless)
        {
            return;
        }

        var key = table + "/" + row[0];
        var version = long.Parse(row[1]!, System.Globalization.CultureInfo.InvariantCulture);
        if (_versions.TryGetValue(key, out var last))
        {
            Assert.True(version >= last, $"{key} went back from version {last} to {version} (seq {sequence})");
        }

        _versions[key] = version;
    }

    private static string?[] Render(IEnumerable<Column> columns) => columns.Select(c => ValueText.Render(c.Value)).ToArray();

    /// <summary>The replayed table equals <c>SELECT projection FROM table</c> now (as a multiset for keyless tables).</summary>
    public async Task AssertEqualsAsync(string connectionString, string table, string projection)
    {
        var replayed = _tables.TryGetValue(table, out var rows) ? rows.Values.Select(Line).Order(StringComparer.Ordinal).ToList() : [];
        var actual = new List<string>();
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT {projection} FROM {table}", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
            }

            actual.Add(Line(row));
        }

        actual.Sort(StringComparer.Ordinal);
        var missing = actual.Except(replayed).Take(5).ToList();
        var extra = replayed.Except(actual).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && actual.Count == replayed.Count,
            $"{table}: replay ({replayed.Count} rows) differs from the table ({actual.Count} rows): missing [{string.Join("; ", missing)}], extra [{string.Join("; ", extra)}]");
    }

    private static string Line(string?[] row) => string.Join("|", row.Select(v => v ?? "<null>"));
}
