using System.Collections;
using System.Reflection;

namespace Cdc.Listener.Configuration;

/// <summary>
/// Every configuration key under <c>Cdc</c>, found by reflection over the options types, so a setting added to
/// <see cref="CdcOptions"/> (or a section below it) is known, converted and checked without a list to keep up.
/// Integer properties whose name ends in <c>Bytes</c> are sizes (64MiB); <see cref="TimeSpan"/> ones are durations.
/// </summary>
public static class SettingKeys
{
    private static readonly (string Section, Type Type)[] Roots =
    [
        (CdcOptions.SectionName, typeof(CdcOptions)),
        (HttpEndpointOptions.SectionName, typeof(HttpEndpointOptions)),
    ];

    private static readonly (Dictionary<string, Setting> Values, HashSet<string> Sections) Catalogue = Collect();

    /// <summary>Keys that hold a value, case-insensitive as configuration keys are.</summary>
    public static IReadOnlyDictionary<string, Setting> Values => Catalogue.Values;

    /// <summary>Keys that only group others (<c>Cdc</c>, <c>Cdc:Nats</c>).</summary>
    public static IReadOnlySet<string> Sections => Catalogue.Sections;

    private static (Dictionary<string, Setting>, HashSet<string>) Collect()
    {
        var values = new Dictionary<string, Setting>(StringComparer.OrdinalIgnoreCase);
        var sections = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (section, type) in Roots)
        {
            Add(values, sections, section, type);
        }

        return (values, sections);
    }

    private static void Add(Dictionary<string, Setting> values, HashSet<string> sections, string prefix, Type type)
    {
        sections.Add(prefix);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetSetMethod() is null && !IsCollection(property.PropertyType))
            {
                continue;
            }

            var key = prefix + ":" + property.Name;
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (KindOf(property.Name, propertyType) is { } kind)
            {
                values[key] = new Setting(key, kind, propertyType);
            }
            else
            {
                Add(values, sections, key, propertyType);
            }
        }
    }

    /// <summary>The kind of a value, or null for a class whose properties are keys of their own.</summary>
    private static SettingKind? KindOf(string name, Type type)
    {
        if (type == typeof(string))
        {
            return SettingKind.Text;
        }

        if (type == typeof(bool))
        {
            return SettingKind.Boolean;
        }

        if (type == typeof(TimeSpan))
        {
            return SettingKind.Duration;
        }

        if (type.IsEnum)
        {
            return SettingKind.Choice;
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(uint) || type == typeof(ulong) || type == typeof(short) || type == typeof(ushort))
        {
            return name.EndsWith("Bytes", StringComparison.Ordinal) ? SettingKind.Size : SettingKind.Integer;
        }

        if (IsCollection(type))
        {
            return SettingKind.Collection;
        }

        return type.IsClass && type.Namespace?.StartsWith("Cdc.", StringComparison.Ordinal) == true ? null : SettingKind.Text;
    }

    private static bool IsCollection(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);
}
