using System.Globalization;

namespace Cdc.Listener.Configuration;

/// <summary>Byte counts for people: 512 B, 1.5 KiB, 64 MiB; read back in the same form.</summary>
public static class ByteText
{
    public const string Accepted = "a number of bytes (e.g. 1048576), or with a unit B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), e.g. 64MiB or 1 GiB";

    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary>Powers of 1024 and of 1000 by unit; longest first so "MiB" is not read as "B".</summary>
    private static readonly (string Unit, long Factor)[] ParseUnits =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("KB", 1000L), ("MB", 1000L * 1000), ("GB", 1000L * 1000 * 1000), ("TB", 1000L * 1000 * 1000 * 1000),
        ("B", 1L),
    ];

    /// <summary>
    /// Reads <c>1048576</c>, <c>64MiB</c>, <c>1 GiB</c>, <c>1.5 MiB</c> or <c>500 KB</c> (units case-insensitive).
    /// A sign is kept, so a range check can name a negative value instead of a syntax error.
    /// </summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var factor = 1L;
        foreach (var (unit, unitFactor) in ParseUnits)
        {
            if (text.EndsWith(unit, StringComparison.OrdinalIgnoreCase))
            {
                factor = unitFactor;
                text = text[..^unit.Length].TrimEnd();
                break;
            }
        }

        if (factor == 1 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out bytes))
        {
            return true;
        }

        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var total = number * factor;
        if (total != decimal.Truncate(total) || total > long.MaxValue || total < long.MinValue)
        {
            return false;
        }

        bytes = (long)total;
        return true;
    }

    public static string Format(double bytes)
    {
        var unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < Units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        var format = unit == 0 || bytes >= 100 || bytes == Math.Floor(bytes) ? "0" : "0.0";
        return bytes.ToString(format, CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
