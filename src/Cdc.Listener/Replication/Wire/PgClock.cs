namespace Cdc.Listener.Replication.Wire;

/// <summary>The replication protocol's clock: microseconds since 2000-01-01 00:00 UTC.</summary>
internal static class PgClock
{
    private static readonly long EpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    public static long NowMicros() => (DateTime.UtcNow.Ticks - EpochTicks) / TimeSpan.TicksPerMicrosecond;
}
