namespace Cdc.Decoding.Values;

/// <summary>
/// Parses the text output of date/time types in PostgreSQL's default <c>DateStyle = ISO</c>
/// (e.g. <c>2024-02-29 13:45:00.5+05:30</c>, <c>0044-03-15 BC</c>, <c>infinity</c>).
/// </summary>
internal static class DateTimeText
{
    public static int ParseDate(ReadOnlySpan<byte> text)
    {
        if (text.SequenceEqual("infinity"u8))
        {
            return int.MaxValue;
        }

        if (text.SequenceEqual("-infinity"u8))
        {
            return int.MinValue;
        }

        var cursor = new TextCursor(text, "date");
        var days = ReadDate(ref cursor);
        cursor.ExpectEnd();
        if (days is > int.MaxValue - 1 or < int.MinValue + 1)
        {
            throw cursor.Fail("date out of range");
        }

        return (int)days;
    }

    public static long ParseTime(ReadOnlySpan<byte> text)
    {
        var cursor = new TextCursor(text, "time");
        var micros = ReadTime(ref cursor);
        cursor.ExpectEnd();
        return micros;
    }

    /// <summary>Time of day and offset from UTC in seconds, east positive.</summary>
    public static (long Micros, int OffsetSeconds) ParseTimeTz(ReadOnlySpan<byte> text)
    {
        var cursor = new TextCursor(text, "timetz");
        var micros = ReadTime(ref cursor);
        var offset = ReadOffset(ref cursor);
        cursor.ExpectEnd();
        return (micros, offset);
    }

    /// <summary>Microseconds since 1970-01-01 00:00:00 (UTC for timestamptz); infinities at the int64 limits.</summary>
    public static long ParseTimestamp(ReadOnlySpan<byte> text, bool withTimeZone)
    {
        if (text.SequenceEqual("infinity"u8))
        {
            return long.MaxValue;
        }

        if (text.SequenceEqual("-infinity"u8))
        {
            return long.MinValue;
        }

        var typeName = withTimeZone ? "timestamptz" : "timestamp";
        var cursor = new TextCursor(text, typeName);
        ReadDateParts(ref cursor, out var year, out var month, out var day);
        cursor.Expect((byte)' ');
        var time = ReadTime(ref cursor);
        var offset = withTimeZone ? ReadOffset(ref cursor) : 0;
        if (cursor.TryConsume(" BC"u8))
        {
            year = 1 - year;
        }

        cursor.ExpectEnd();
        var days = PgCalendar.DaysFromCivil(year, month, day);
        try
        {
            return checked((days * PgCalendar.MicrosPerDay) + time - (offset * PgCalendar.MicrosPerSecond));
        }
        catch (OverflowException)
        {
            throw cursor.Fail("not representable as int64 Unix microseconds");
        }
    }

    private static long ReadDate(ref TextCursor cursor)
    {
        ReadDateParts(ref cursor, out var year, out var month, out var day);
        if (cursor.TryConsume(" BC"u8))
        {
            year = 1 - year;
        }

        return PgCalendar.DaysFromCivil(year, month, day);
    }

    private static void ReadDateParts(ref TextCursor cursor, out long year, out int month, out int day)
    {
        year = cursor.ReadNumber(out var yearDigits);
        cursor.Expect((byte)'-');
        month = (int)cursor.ReadNumber(out var monthDigits);
        cursor.Expect((byte)'-');
        day = (int)cursor.ReadNumber(out var dayDigits);
        if (yearDigits < 4 || monthDigits != 2 || dayDigits != 2 || month is < 1 or > 12 || day is < 1 or > 31)
        {
            throw cursor.Fail("not an ISO date (check that DateStyle is ISO)");
        }
    }

    private static long ReadTime(ref TextCursor cursor)
    {
        var hours = cursor.ReadNumber(out var hourDigits);
        cursor.Expect((byte)':');
        var minutes = cursor.ReadNumber(out var minuteDigits);
        cursor.Expect((byte)':');
        var seconds = cursor.ReadNumber(out var secondDigits);
        if (hourDigits != 2 || minuteDigits != 2 || secondDigits != 2 || hours > 24 || minutes > 59 || seconds > 60)
        {
            throw cursor.Fail("not a time of day");
        }

        return (((hours * 60) + minutes) * 60 * PgCalendar.MicrosPerSecond) + (seconds * PgCalendar.MicrosPerSecond) + cursor.ReadFractionMicros();
    }

    /// <summary>Reads <c>+HH[:MM[:SS]]</c> and returns seconds east of UTC.</summary>
    private static int ReadOffset(ref TextCursor cursor)
    {
        var sign = cursor.Peek() switch
        {
            '+' => 1,
            '-' => -1,
            _ => throw cursor.Fail("expected a UTC offset"),
        };
        cursor.TryConsume((byte)cursor.Peek());
        var seconds = cursor.ReadNumber() * 3600;
        if (cursor.TryConsume((byte)':'))
        {
            seconds += cursor.ReadNumber() * 60;
            if (cursor.TryConsume((byte)':'))
            {
                seconds += cursor.ReadNumber();
            }
        }

        if (seconds > 16 * 3600)
        {
            throw cursor.Fail("UTC offset out of range");
        }

        return (int)(sign * seconds);
    }
}
