using Cdc.IntegrationTests.Support;
using Cdc.V1;
using Npgsql;

namespace Cdc.IntegrationTests.Support;

/// <summary>What a consumer of the stream relies on: each change once, in commit order per table, and replayable.</summary>
public static class StreamAssertions
{
    /// <summary>Exactly <paramref name="expected"/> changes with unique, deterministic ids, each table in commit order.</summary>
    public static void ExactlyOnceInCommitOrder(IReadOnlyList<StoredChange> changes, string slot, long expected)
    {
        var duplicates = changes.GroupBy(c => c.MessageId).Where(g => g.Count() > 1).Select(g => g.Key).Take(5).ToList();
        Assert.True(duplicates.Count == 0, $"messages stored twice: {string.Join(", ", duplicates)}");
        Assert.Equal(expected, changes.Count);
        foreach (var change in changes)
        {
            // <slot>:<timeline>:<end LSN>:<index>; the timeline is checked by the failover tests.
            Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(slot)}:[0-9A-F]{{8}}:{change.Event.EndLsn:X16}:{change.Event.Index}$", change.MessageId);
        }

        foreach (var table in changes.GroupBy(c => c.Event.Table))
        {
            var previous = (EndLsn: 0UL, Index: -1L);
            foreach (var change in table.OrderBy(c => c.Sequence))
            {
                var position = (change.Event.EndLsn, (long)change.Event.Index);
                Assert.True(position.CompareTo(previous) > 0,
                    $"{table.Key}: {change.MessageId} (stream seq {change.Sequence}) stored after {previous.EndLsn:X16}:{previous.Index}");
                previous = position;
            }
        }
    }

    /// <summary>Applying the events in stream order to empty maps keyed by the first column gives each table's rows.</summary>
    public static async Task ReplayReproducesTablesAsync(IReadOnlyList<StoredChange> changes, string connectionString, IReadOnlyDictionary<string, string> projections)
    {
        foreach (var (table, projection) in projections)
        {
            var replayed = new Dictionary<string, string?[]>();
            foreach (var change in changes.Where(c => c.Event.Table == table).OrderBy(c => c.Sequence))
            {
                var e = change.Event;
                switch (e.Operation)
                {
                    case Operation.Insert:
                    case Operation.Update:
                        if (e.Operation == Operation.Update && e.OldRow.Count > 0)
                        {
                            replayed.Remove(ValueText.Render(e.OldRow[0].Value)!);
                        }

                        replayed[ValueText.Render(e.NewRow[0].Value)!] = e.NewRow.Select(c => ValueText.Render(c.Value)).ToArray();
                        break;
                    case Operation.Delete:
                        Assert.True(replayed.Remove(ValueText.Render(e.OldRow[0].Value)!), $"{table}: delete of a row never inserted: {change.MessageId}");
                        break;
                    default:
                        Assert.Fail($"unexpected operation {e.Operation}");
                        break;
                }
            }

            var actual = new Dictionary<string, string?[]>();
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

                actual[row[0]!] = row;
            }

            var missing = actual.Keys.Except(replayed.Keys).Take(5).ToList();
            var extra = replayed.Keys.Except(actual.Keys).Take(5).ToList();
            Assert.True(missing.Count == 0 && extra.Count == 0,
                $"{table}: replay differs: rows missing from the replay {string.Join(",", missing)}; rows only in the replay {string.Join(",", extra)}");
            foreach (var (key, row) in actual)
            {
                Assert.Equal(row, replayed[key]);
            }
        }
    }
}
