namespace Cdc.Decoding.Values;

/// <summary>
/// Parses interval text output in PostgreSQL's default <c>IntervalStyle = postgres</c>,
/// e.g. <c>1 year 2 mons -3 days +04:05:06.5</c> or <c>-00:00:01</c>, and (PostgreSQL 17+) <c>infinity</c> and
/// <c>-infinity</c>, which PostgreSQL stores as every field at its maximum or minimum and so are given here.
/// </summary>
internal static class IntervalText
{
    public static (int Months, int Days, long Micros) Parse(ReadOnlySpan<byte> text)
    {
        if (text.SequenceEqual("infinity"u8))
        {
            return (int.MaxValue, int.MaxValue, long.MaxValue);
        }

        if (text.SequenceEqual("-infinity"u8))
        {
            return (int.MinValue, int.MinValue, long.MinValue);
        }

        var cursor = new TextCursor(text, "interval");
        if (cursor.Peek() is '@' or 'P')
        {
            throw cursor.Fail("IntervalStyle must be 'postgres'");
        }

        long months = 0, days = 0, micros = 0;
        try
        {
            while (!cursor.AtEnd)
            {
                var negative = cursor.TryConsume((byte)'-');
                if (!negative)
                {
                    cursor.TryConsume((byte)'+');
                }

                var number = cursor.ReadNumber();
                if (cursor.TryConsume((byte)':'))
                {
                    micros = checked(micros + ReadTimeRest(ref cursor, number, negative));
                }
                else
                {
                    cursor.Expect((byte)' ');
                    var signed = negative ? -number : number;
                    if (cursor.TryConsume("years"u8) || cursor.TryConsume("year"u8))
                    {
                        months = checked(months + (signed * 12));
                    }
                    else if (cursor.TryConsume("mons"u8) || cursor.TryConsume("mon"u8))
                    {
                        months = checked(months + signed);
                    }
                    else if (cursor.TryConsume("days"u8) || cursor.TryConsume("day"u8))
                    {
                        days = checked(days + signed);
                    }
                    else
                    {
                        throw cursor.Fail("unknown interval unit");
                    }
                }

                if (!cursor.AtEnd)
                {
                    cursor.Expect((byte)' ');
                }
            }
        }
        catch (OverflowException)
        {
            throw cursor.Fail("out of range");
        }

        if (months is > int.MaxValue or < int.MinValue || days is > int.MaxValue or < int.MinValue)
        {
            throw cursor.Fail("out of range");
        }

        return ((int)months, (int)days, micros);
    }

    /// <summary>The rest of <c>H:MM:SS[.ffffff]</c> after the hours; accumulated negatively so the minimum fits.</summary>
    private static long ReadTimeRest(ref TextCursor cursor, long hours, bool negative)
    {
        var minutes = cursor.ReadNumber();
        cursor.Expect((byte)':');
        var seconds = cursor.ReadNumber();
        var fraction = cursor.ReadFractionMicros();
        var total = checked(-(hours * 3600 * PgCalendar.MicrosPerSecond) - (minutes * 60 * PgCalendar.MicrosPerSecond)
            - (seconds * PgCalendar.MicrosPerSecond) - fraction);
        return negative ? total : checked(-total);
    }
}
