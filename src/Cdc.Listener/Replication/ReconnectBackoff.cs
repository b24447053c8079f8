namespace Cdc.Listener.Replication;

/// <summary>Exponential backoff with full jitter: 0.5 s doubling up to 30 s; reset after a healthy session.</summary>
internal sealed class ReconnectBackoff(TimeSpan? initial = null, TimeSpan? maximum = null)
{
    private readonly TimeSpan _initial = initial ?? TimeSpan.FromMilliseconds(500);
    private readonly TimeSpan _maximum = maximum ?? TimeSpan.FromSeconds(30);
    private int _attempt;

    public TimeSpan Next()
    {
        var ceiling = Math.Min(_maximum.TotalMilliseconds, _initial.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 16)));
        _attempt++;

        // Full jitter spreads reconnects of many sidecars after a server restart.
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    public void Reset() => _attempt = 0;
}
