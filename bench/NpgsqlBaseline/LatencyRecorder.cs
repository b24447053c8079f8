using System.Globalization;

namespace Cdc.Bench.NpgsqlBaseline;

/// <summary>
/// Commit-to-receive latency per transaction: local clock at the Commit message minus the commit
/// timestamp in it. Same machine, same clock as the server.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly List<long> _micros = new(capacity: 1 << 16);

    public void Record(DateTime commitTimestampUtc)
        => _micros.Add((DateTime.UtcNow - commitTimestampUtc).Ticks / TimeSpan.TicksPerMicrosecond);

    public string ToJsonFields()
    {
        if (_micros.Count == 0)
        {
            return "\"latency_samples\":0";
        }

        _micros.Sort();
        long At(double q) => _micros[Math.Min(_micros.Count - 1, (int)Math.Floor(q * _micros.Count))];
        return string.Create(CultureInfo.InvariantCulture,
            $"\"latency_samples\":{_micros.Count},\"latency_p50_ms\":{At(0.50) / 1000.0},\"latency_p99_ms\":{At(0.99) / 1000.0},\"latency_max_ms\":{_micros[^1] / 1000.0}");
    }
}
