namespace Cdc.Sink.Nats;

/// <summary>Exponential backoff with jitter, so many clients do not reconnect in lockstep.</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int round, TimeSpan min, TimeSpan max, double jitter)
    {
        var exponent = Math.Min(Math.Max(round - 1, 0), 20);
        var baseMs = Math.Min(max.TotalMilliseconds, Math.Max(1, min.TotalMilliseconds) * Math.Pow(2, exponent));
        var extra = baseMs * jitter * Random.Shared.NextDouble();
        return TimeSpan.FromMilliseconds(Math.Min(max.TotalMilliseconds * (1 + jitter), baseMs + extra));
    }
}
