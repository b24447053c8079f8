using Cdc.V1;

namespace Cdc.Consumer.Tests.Support;

/// <summary>
/// Inserts, updates and deletes over a few keys, as ChangeEvents of table <c>items</c>, with the rows a correct replica
/// ends with. Inserts of a present key and updates or deletes of an absent one never occur, so applying an event twice
/// (or skipping one) breaks the replica or the apply itself.
/// </summary>
public sealed class ReplicaWorkload
{
    public ReplicaWorkload(int events, int keys, int seed)
    {
        var random = new Random(seed);
        var rows = new SortedDictionary<int, string>();
        for (var i = 0; i < events; i++)
        {
            var id = random.Next(keys);
            var lsn = (ulong)(i + 1) * 0x100;
            if (!rows.ContainsKey(id))
            {
                rows[id] = $"v{i}";
                Changes.Add(TestStream.Row(Operation.Insert, "items", id, rows[id], lsn));
            }
            else if (random.Next(4) == 0)
            {
                rows.Remove(id);
                Changes.Add(TestStream.Row(Operation.Delete, "items", id, null, lsn));
            }
            else
            {
                rows[id] = $"v{i}";
                Changes.Add(TestStream.Row(Operation.Update, "items", id, rows[id], lsn));
            }
        }

        Expected = [.. rows.Select(r => (r.Key, r.Value))];
    }

    public List<ChangeEvent> Changes { get; } = [];

    public IReadOnlyList<(int Id, string Value)> Expected { get; }
}
