namespace Cdc.Listener.Telemetry;

/// <summary>The running backfills' progress as <c>/status</c> and <see cref="BackfillInstruments"/> see it; empty before the backfill service starts.</summary>
public sealed class BackfillStatus
{
    private Func<IReadOnlyList<BackfillProgress>>? _progress;

    public IReadOnlyList<BackfillProgress> Progress => Volatile.Read(ref _progress)?.Invoke() ?? [];

    /// <summary>Where the backfill service keeps its progress (its board's snapshot).</summary>
    public void Attach(Func<IReadOnlyList<BackfillProgress>> progress) => Volatile.Write(ref _progress, progress);
}
