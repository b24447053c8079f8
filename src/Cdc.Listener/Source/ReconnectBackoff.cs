namespace Cdc.Listener.Source;

/// <summary>
/// Exponential backoff with "equal jitter": a ceiling of 0.5 s doubling up to 30 s, each delay drawn from its upper half;
/// reset after a healthy session.
/// </summary>
internal sealed class ReconnectBackoff(TimeSpan? initial = null, TimeSpan? maximum = null)
{
    private readonly TimeSpan _initial = initial ?? TimeSpan.FromMilliseconds(500);
    private readonly TimeSpan _maximum = maximum ?? TimeSpan.FromSeconds(30);
    private int _attempt;

    public TimeSpan Next()
    {
        var ceiling = Math.Min(_maximum.TotalMilliseconds, _initial.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 16)));
        _attempt++;

        // Jitter spreads reconnects of many sidecars after a server restart; keeping half the ceiling (rather than full
        // jitter's 0..ceiling) stops a failing server from being retried almost at once.
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    public void Reset() => _attempt = 0;
}
