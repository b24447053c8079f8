namespace Cdc.Listener.Backfill;

/// <summary>
/// Decides when a backfill may read its next chunk. Its rows enter the one ordered pipeline, so every streamed
/// transaction committed while they are published waits behind them: the backfill is held to
/// <c>Cdc:Backfill:MaxRowsPerSecond</c> (a chunk of n rows is followed by n / rate seconds, counted from the chunk's
/// start, so a slow chunk earns no burst) and, like gh-ost's replica-lag throttle, waits while more than
/// <c>Cdc:Backfill:PauseAboveInFlightBytes</c> of changes are unacknowledged: a streaming backlog goes first.
/// </summary>
internal sealed class BackfillPacer(int maxRowsPerSecond, long pauseAboveInFlightBytes, Func<long> inFlightBytes, TimeProvider time)
{
    /// <summary>How often a paused backfill looks at the in-flight bytes again.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private long _chunkStartedAt;
    private long _rows = -1;

    /// <summary>Whether the last wait was (partly) for a streaming backlog; for the log.</summary>
    public bool YieldedToStream { get; private set; }

    /// <summary>Waits until the next chunk may be read, then counts it as started.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (_rows >= 0 && maxRowsPerSecond > 0)
        {
            var due = TimeSpan.FromSeconds((double)_rows / maxRowsPerSecond) - time.GetElapsedTime(_chunkStartedAt);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, time, cancellationToken).ConfigureAwait(false);
            }
        }

        YieldedToStream = false;
        while (pauseAboveInFlightBytes > 0 && inFlightBytes() > pauseAboveInFlightBytes)
        {
            YieldedToStream = true;
            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }

        _chunkStartedAt = time.GetTimestamp();
        _rows = 0;
    }

    /// <summary>The rows the chunk started by the last <see cref="WaitAsync"/> read (a chunk read again is paced again).</summary>
    public void Read(int rows) => _rows = rows;
}
