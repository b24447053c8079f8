namespace Cdc.Decoding.Values;

/// <summary>Epoch shifts and the proleptic Gregorian calendar PostgreSQL uses (year 0 = 1 BC).</summary>
internal static class PgCalendar
{
    /// <summary>Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01.</summary>
    public const int PgEpochDays = 10_957;

    /// <summary>Microseconds from 1970-01-01 to 2000-01-01.</summary>
    public const long PgEpochMicros = 946_684_800_000_000;

    public const long MicrosPerSecond = 1_000_000;
    public const long MicrosPerDay = 86_400 * MicrosPerSecond;

    /// <summary>Days since 1970-01-01 of an astronomical-year date (1 BC is year 0).</summary>
    public static long DaysFromCivil(long year, int month, int day)
    {
        year -= month <= 2 ? 1 : 0;
        var era = (year >= 0 ? year : year - 399) / 400;
        var yearOfEra = year - (era * 400);
        var dayOfYear = (((153 * (month + (month > 2 ? -3 : 9))) + 2) / 5) + day - 1;
        var dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
        return (era * 146_097) + dayOfEra - 719_468;
    }

    /// <summary>PostgreSQL date (days since 2000-01-01, infinities at the int32 limits) to days since 1970.</summary>
    public static int DateFromPg(int pgDays)
        => pgDays is int.MaxValue or int.MinValue ? pgDays : checked(pgDays + PgEpochDays);

    /// <summary>PostgreSQL timestamp (microseconds since 2000-01-01, infinities at the int64 limits) to Unix microseconds.</summary>
    public static long TimestampFromPg(long pgMicros, string typeName)
    {
        if (pgMicros is long.MaxValue or long.MinValue)
        {
            return pgMicros;
        }

        if (pgMicros > long.MaxValue - PgEpochMicros - 1)
        {
            // Years 294247..294276 exist in PostgreSQL but not as int64 Unix microseconds.
            throw ValueErrors.Malformed(typeName, "later than 294247-01-10, not representable as Unix microseconds");
        }

        return pgMicros + PgEpochMicros;
    }
}
