using System.Globalization;

namespace Cdc.Listener.Configuration;

/// <summary>Durations typed by people: <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c>, or hh:mm:ss.</summary>
public static class DurationText
{
    public const string Accepted = "a number with ms, s, m, h or d (e.g. 250ms, 5s, 2m), or hh:mm:ss (e.g. 00:00:05)";

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text == "0")
        {
            return true; // zero needs no unit: "0" turns a timeout off
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
        }

        var (digits, unit) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)
            ? (text[..^2], 0.001)
            : (text[..^1], char.ToLowerInvariant(text[^1]) switch { 's' => 1.0, 'm' => 60.0, 'h' => 3600.0, 'd' => 86400.0, _ => double.NaN });
        if (double.IsNaN(unit) || !double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        value = TimeSpan.FromSeconds(number * unit);
        return true;
    }

    /// <summary>Short human form: 850ms, 12.3s, 4m05s, 2h10m, 3d04h.</summary>
    public static string Format(TimeSpan value) => value switch
    {
        { TotalSeconds: < 1 } => $"{value.TotalMilliseconds:0}ms",
        { TotalSeconds: < 60 } => $"{value.TotalSeconds:0.0}s",
        { TotalMinutes: < 60 } => $"{(int)value.TotalMinutes}m{value.Seconds:00}s",
        { TotalHours: < 24 } => $"{(int)value.TotalHours}h{value.Minutes:00}m",
        _ => $"{(int)value.TotalDays}d{value.Hours:00}h",
    };
}
