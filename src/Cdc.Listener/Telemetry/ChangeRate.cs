namespace Cdc.Listener.Telemetry;

/// <summary>
/// Changes per second over a sliding window of samples of a monotonic counter (one sample a
/// second, ten kept): steadier than the last second alone, quicker than the average since start.
/// </summary>
public sealed class ChangeRate
{
    private const int Capacity = 11;
    private readonly (long Ticks, long Count)[] _samples = new (long, long)[Capacity];
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public void Sample(long count, long timestampTicks)
    {
        lock (_lock)
        {
            _samples[_next] = (timestampTicks, count);
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
        }
    }

    /// <summary>Rate from the oldest sample to the live count now (so a burst shows at once); 0 without samples.</summary>
    public double PerSecond(long count, long nowTicks)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return 0;
            }

            var oldest = _samples[(_next - _count + Capacity) % Capacity];
            var seconds = TimeSpan.FromTicks(nowTicks - oldest.Ticks).TotalSeconds;
            return seconds < 0.5 ? 0 : Math.Max(0, count - oldest.Count) / seconds;
        }
    }
}
