using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Cdc.Listener.Configuration;

/// <summary>
/// Reads every key under <c>Cdc</c> before the options are bound, from whichever source it came (appsettings.json,
/// <c>--config</c>, <c>CDC__*</c> variables, the command line): a key Cdc does not know is an error naming the closest
/// one it does, and sizes, durations and booleans are read in one syntax (64MiB, 5s, yes) and handed to the binder in
/// its own. A value that cannot be read names the key and what is accepted, never a .NET type.
/// </summary>
public static class SettingsCheck
{
    public const string IntegerAccepted = "a whole number";

    /// <summary>The canonical value of every key that needs one; throws <see cref="CdcConfigurationException"/> at the first problem.</summary>
    public static IReadOnlyDictionary<string, string?> Normalize(IConfiguration configuration)
    {
        var canonical = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in configuration.GetSection(CdcOptions.SectionName).AsEnumerable())
        {
            if (value is null || IsInsideCollection(key))
            {
                continue; // a section (or an empty JSON object or array), or an element of a list such as Cdc:Tables:0
            }

            if (SettingKeys.Values.TryGetValue(key, out var setting))
            {
                if (Read(setting, value) is { } text)
                {
                    canonical[setting.Key] = text;
                }
            }
            else if (SettingKeys.Sections.Contains(key))
            {
                if (value.Length > 0)
                {
                    throw new CdcConfigurationException($"{key} is a section, not a value: set the keys in it (e.g. {Closest(key + ":")})");
                }
            }
            else
            {
                throw new CdcConfigurationException($"{key} is not a setting: did you mean {Closest(key)}?");
            }
        }

        return canonical;
    }

    /// <summary>For the commands that read only <c>CDC__*</c> variables (status, tail): the same checks on them.</summary>
    public static void CheckEnvironment() => Normalize(new ConfigurationBuilder().AddEnvironmentVariables().Build());

    /// <summary>The value in the binder's syntax, or null when it is taken as it is.</summary>
    private static string? Read(Setting setting, string value) => setting.Kind switch
    {
        SettingKind.Boolean => BoolText.TryParse(value, out var flag)
            ? (flag ? "true" : "false")
            : throw Invalid(setting, value, BoolText.Accepted),
        SettingKind.Duration => DurationText.TryParse(value, out var duration)
            ? duration.ToString("c", CultureInfo.InvariantCulture)
            : throw Invalid(setting, value, DurationText.Accepted),
        SettingKind.Size => ByteText.TryParse(value, out var bytes)
            ? InRange(setting, value, bytes, ByteText.Accepted)
            : throw Invalid(setting, value, ByteText.Accepted),
        SettingKind.Integer => long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? InRange(setting, value, number, IntegerAccepted)
            : throw Invalid(setting, value, IntegerAccepted),
        SettingKind.Choice => Enum.TryParse(setting.Type, value.Trim(), ignoreCase: true, out var choice) && Enum.IsDefined(setting.Type, choice!)
            ? null
            : throw Invalid(setting, value, "one of " + string.Join(", ", Enum.GetNames(setting.Type).Select(n => n.ToLowerInvariant()))),
        _ => null,
    };

    /// <summary>A number the property's type can hold (a 3 GiB size does not fit an int setting).</summary>
    private static string InRange(Setting setting, string value, long number, string accepted)
    {
        var (min, max) = Type.GetTypeCode(setting.Type) switch
        {
            TypeCode.Int16 => (short.MinValue, short.MaxValue),
            TypeCode.UInt16 => (0, ushort.MaxValue),
            TypeCode.Int32 => (int.MinValue, int.MaxValue),
            TypeCode.UInt32 => (0, uint.MaxValue),
            TypeCode.UInt64 => (0, long.MaxValue),
            _ => (long.MinValue, long.MaxValue),
        };
        if (number < min || number > max)
        {
            var limit = setting.Kind == SettingKind.Size ? $"{max} bytes ({ByteText.Format(max)})" : max.ToString(CultureInfo.InvariantCulture);
            throw new CdcConfigurationException($"{setting.Key} = '{value}' is out of range: {accepted}, at most {limit}");
        }

        return number.ToString(CultureInfo.InvariantCulture);
    }

    private static CdcConfigurationException Invalid(Setting setting, string value, string accepted)
        => new($"{setting.Key} = '{value}' is not valid: accepted {accepted}");

    private static bool IsInsideCollection(string key)
    {
        for (var colon = key.LastIndexOf(':'); colon > 0; colon = key.LastIndexOf(':', colon - 1))
        {
            if (SettingKeys.Values.TryGetValue(key[..colon], out var parent))
            {
                return parent.Kind == SettingKind.Collection;
            }
        }

        return false;
    }

    private static string Closest(string key) => Levenshtein.Closest(key, SettingKeys.Values.Keys.Order(StringComparer.Ordinal));
}
