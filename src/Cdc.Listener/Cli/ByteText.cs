using System.Globalization;

namespace Cdc.Listener.Cli;

/// <summary>Byte counts for people: 512 B, 1.5 KiB, 64 MiB.</summary>
public static class ByteText
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

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
