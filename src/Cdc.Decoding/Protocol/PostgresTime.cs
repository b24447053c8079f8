namespace Cdc.Decoding.Protocol;

/// <summary>PostgreSQL timestamps count microseconds from 2000-01-01 UTC.</summary>
internal static class PostgresTime
{
    /// <summary>Microseconds from 1970-01-01 to 2000-01-01.</summary>
    public const long EpochOffsetMicros = 946_684_800_000_000L;

    public static long ToUnixMicros(long postgresMicros)
        => postgresMicros is long.MaxValue or long.MinValue ? postgresMicros : postgresMicros + EpochOffsetMicros;
}
