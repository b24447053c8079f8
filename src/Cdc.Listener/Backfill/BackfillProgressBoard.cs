using System.Collections.Concurrent;
using Cdc.Listener.Telemetry;

namespace Cdc.Listener.Backfill;

/// <summary>
/// The backfill this process runs and those queued behind it; written by the runner, read by the status surfaces.
/// </summary>
internal sealed class BackfillProgressBoard(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private IReadOnlyList<BackfillJob> _queue = [];

    /// <summary>Every requested, unfinished backfill in the order they run (the running one included).</summary>
    public void Queue(IReadOnlyList<BackfillJob> inOrder) => Volatile.Write(ref _queue, inOrder);

    public void Start(BackfillJob job, long estimate)
        => _entries[job.QualifiedName] = new Entry(job, estimate, job.RowsDone, time.GetTimestamp());

    public void Update(BackfillJob job)
    {
        if (_entries.TryGetValue(job.QualifiedName, out var entry))
        {
            _entries[job.QualifiedName] = entry with { Job = job };
        }
    }

    public void Finish(BackfillJob job) => _entries.TryRemove(job.QualifiedName, out _);

    /// <summary>The running backfill first, then the queued ones in the order they will run.</summary>
    public IReadOnlyList<BackfillProgress> Snapshot()
    {
        var list = new List<BackfillProgress>(_entries.Count);
        foreach (var entry in _entries.Values)
        {
            var job = entry.Job;
            var seconds = time.GetElapsedTime(entry.ResumedAt).TotalSeconds;
            var rate = seconds > 0 ? (job.RowsDone - entry.ResumedRows) / seconds : 0;
            var estimate = entry.Estimate > 0 ? Math.Max(entry.Estimate, job.RowsDone) : 0;
            list.Add(new BackfillProgress
            {
                Table = job.QualifiedName,
                RowsDone = job.RowsDone,
                RowsEstimate = estimate,
                RowsPerSecond = rate,
                EtaSeconds = estimate > 0 && rate > 0 ? (estimate - job.RowsDone) / rate : null,
                Chunks = job.Chunks,
                StartLsn = new Decoding.Lsn(job.StartLsn).ToString(),
                StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(job.StartedUnixMs),
            });
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Table, b.Table));
        var position = 0;
        foreach (var job in Volatile.Read(ref _queue))
        {
            if (_entries.ContainsKey(job.QualifiedName))
            {
                continue;
            }

            list.Add(new BackfillProgress
            {
                Table = job.QualifiedName,
                State = BackfillProgress.Queued,
                QueuePosition = ++position,
                RowsDone = job.RowsDone,
                RowsEstimate = 0,
                RowsPerSecond = 0,
                Chunks = job.Chunks,
                StartLsn = new Decoding.Lsn(job.StartLsn).ToString(),
                StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(job.StartedUnixMs),
            });
        }

        return list;
    }

    private sealed record Entry(BackfillJob Job, long Estimate, long ResumedRows, long ResumedAt);
}
