namespace Cdc.Listener.Backfill;

/// <summary>Where backfill progress outlives the process: one entry per table being backfilled.</summary>
internal interface IBackfillStore : IAsyncDisposable
{
    Task<IReadOnlyList<BackfillJob>> LoadAsync(CancellationToken cancellationToken);

    Task SaveAsync(BackfillJob job, CancellationToken cancellationToken);

    Task RemoveAsync(BackfillJob job, CancellationToken cancellationToken);
}

/// <summary>Progress kept in memory only: the null sink (benchmarks), where nothing else survives a restart either.</summary>
internal sealed class MemoryBackfillStore : IBackfillStore
{
    private readonly Dictionary<string, BackfillJob> _jobs = [];

    public Task<IReadOnlyList<BackfillJob>> LoadAsync(CancellationToken cancellationToken)
    {
        lock (_jobs)
        {
            return Task.FromResult<IReadOnlyList<BackfillJob>>([.. _jobs.Values]);
        }
    }

    public Task SaveAsync(BackfillJob job, CancellationToken cancellationToken)
    {
        lock (_jobs)
        {
            _jobs[job.QualifiedName] = job;
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(BackfillJob job, CancellationToken cancellationToken)
    {
        lock (_jobs)
        {
            _jobs.Remove(job.QualifiedName);
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
