namespace Cdc.Listener.Http;

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

    /// <summary>Rate between the oldest and newest sample; 0 with fewer than two samples.</summary>
    public double PerSecond
    {
        get
        {
            lock (_lock)
            {
                if (_count < 2)
                {
                    return 0;
                }

                var newest = _samples[(_next - 1 + Capacity) % Capacity];
                var oldest = _samples[(_next - _count + Capacity) % Capacity];
                var seconds = TimeSpan.FromTicks(newest.Ticks - oldest.Ticks).TotalSeconds;
                return seconds <= 0 ? 0 : Math.Max(0, newest.Count - oldest.Count) / seconds;
            }
        }
    }
}
