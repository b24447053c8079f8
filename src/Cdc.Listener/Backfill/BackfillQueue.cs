using System.Threading.Channels;

namespace Cdc.Listener.Backfill;

/// <summary>
/// The backfills requested and not finished, one per table, run one at a time in request order: by job id, the
/// request's commit LSN in fixed-width hex, so the order is the stream's and survives a restart (the progress store
/// holds every queued job). A new request for a table already queued or running replaces it and takes its place at the
/// end; a running one stops at its next chunk. One at a time because the pipeline has one watermark window, and because
/// each backfill's reading already takes what the pacing allows.
/// </summary>
internal sealed class BackfillQueue
{
    private readonly Dictionary<string, BackfillJob> _jobs = new(StringComparer.Ordinal);
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Adds a job, or replaces its table's; false when the table already holds this very job (a replayed request).</summary>
    public bool Put(BackfillJob job)
    {
        lock (_jobs)
        {
            if (_jobs.TryGetValue(job.QualifiedName, out var existing) && existing.Id == job.Id)
            {
                return false;
            }

            _jobs[job.QualifiedName] = job;
        }

        _changed.Writer.TryWrite(true);
        return true;
    }

    /// <summary>Records a job's progress; false when the job was replaced or removed meanwhile.</summary>
    public bool Update(BackfillJob job)
    {
        lock (_jobs)
        {
            if (Current(job.QualifiedName)?.Id != job.Id)
            {
                return false;
            }

            _jobs[job.QualifiedName] = job;
            return true;
        }
    }

    /// <summary>Removes a finished or abandoned job; false when it was replaced meanwhile.</summary>
    public bool Remove(BackfillJob job)
    {
        lock (_jobs)
        {
            if (Current(job.QualifiedName)?.Id != job.Id)
            {
                return false;
            }

            _jobs.Remove(job.QualifiedName);
        }

        _changed.Writer.TryWrite(true);
        return true;
    }

    /// <summary>Whether <paramref name="job"/> is still the table's job (not replaced by a newer request, not removed).</summary>
    public bool IsCurrent(BackfillJob job)
    {
        lock (_jobs)
        {
            return Current(job.QualifiedName)?.Id == job.Id;
        }
    }

    /// <summary>The jobs in the order they run: the first is running (or next), the others wait.</summary>
    public IReadOnlyList<BackfillJob> InOrder()
    {
        lock (_jobs)
        {
            // Requests of one transaction share its commit LSN: by table within it.
            return [.. _jobs.Values.OrderBy(j => j.Id, StringComparer.Ordinal).ThenBy(j => j.QualifiedName, StringComparer.Ordinal)];
        }
    }

    /// <summary>The first job in request order, waiting for one to be put when there is none.</summary>
    public async Task<BackfillJob> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (InOrder() is [var first, ..])
            {
                return first;
            }

            await _changed.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private BackfillJob? Current(string table) => _jobs.GetValueOrDefault(table);
}
