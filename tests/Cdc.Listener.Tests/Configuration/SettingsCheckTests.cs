using Cdc.Listener.Configuration;
using Cdc.Listener.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Cdc.Listener.Tests.Configuration;

/// <summary>Settings are read in one syntax from every source, and a key Cdc does not know is refused, not ignored.</summary>
public sealed class SettingsCheckTests
{
    private const string Connection = "Host=127.0.0.1;Database=shop";

    private static IReadOnlyDictionary<string, string?> Normalize(params (string Key, string Value)[] settings)
        => SettingsCheck.Normalize(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());

    private static string Refusal(string key, string value)
        => Assert.Throws<CdcConfigurationException>(() => Normalize((key, value))).Message;

    private static CdcOptions Bound(params (string Key, string Value)[] settings)
    {
        var overrides = settings.ToDictionary(s => s.Key, s => (string?)s.Value, StringComparer.OrdinalIgnoreCase);
        overrides["Cdc:Connection"] = Connection;
        using var host = CdcHost.Build(null, overrides, jsonLogs: false);
        return host.Services.GetRequiredService<IOptions<CdcOptions>>().Value;
    }

    [Fact]
    public void A_misspelt_key_is_refused_naming_the_closest_setting()
        => Assert.Equal("Cdc:Nats:BatchMaxRowz is not a setting: did you mean Cdc:Nats:BatchMaxRows?", Refusal("Cdc:Nats:BatchMaxRowz", "500"));

    [Theory]
    [InlineData("CDC:NATS:URLL", "Cdc:Nats:Url")]
    [InlineData("Cdc:Natz:Stream", "Cdc:Nats:Stream")]
    [InlineData("Cdc:Pusher:MaxInflightByte", "Cdc:Pusher:MaxInFlightBytes")]
    [InlineData("Cdc:Http:Listn", "Cdc:Http:Listen")]
    [InlineData("Cdc:Slots", "Cdc:Slot")]
    public void Misspelt_keys_from_any_source_name_their_setting(string key, string closest)
        => Assert.EndsWith($"is not a setting: did you mean {closest}?", Refusal(key, "1"), StringComparison.Ordinal);

    [Fact]
    public void Every_property_of_the_options_is_a_known_key_found_by_reflection()
    {
        Assert.Equal(SettingKind.Size, SettingKeys.Values["Cdc:Pusher:MaxInFlightBytes"].Kind);
        Assert.Equal(SettingKind.Size, SettingKeys.Values["Cdc:Nats:BatchMaxBytes"].Kind);
        Assert.Equal(SettingKind.Duration, SettingKeys.Values["Cdc:Nats:DuplicateWindow"].Kind);
        Assert.Equal(SettingKind.Boolean, SettingKeys.Values["Cdc:Pusher:Dedupe"].Kind);
        Assert.Equal(SettingKind.Integer, SettingKeys.Values["Cdc:Nats:Replicas"].Kind);
        Assert.Equal(SettingKind.Collection, SettingKeys.Values["Cdc:Tables"].Kind);
        Assert.Equal(SettingKind.Text, SettingKeys.Values["Cdc:Http:Listen"].Kind);
        Assert.Contains("Cdc:Nats", SettingKeys.Sections);
        Assert.Empty(Normalize(("Cdc:Tables:0", "public.items"), ("Cdc:Tables:1", "sales.orders"), ("Cdc:SpillDirectory", "/tmp")));
    }

    [Fact]
    public void The_shipped_appsettings_json_passes()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        Assert.True(File.Exists(file), file);
        var canonical = SettingsCheck.Normalize(new ConfigurationBuilder().AddJsonFile(file).Build());
        Assert.Equal("00:00:15", canonical["Cdc:ShutdownTimeout"]);
    }

    [Theory]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("1 GiB", 1L << 30)]
    [InlineData("1.5 MiB", 3L << 19)]
    [InlineData("5000KB", 5_000_000L)]
    [InlineData("2097152", 2L << 20)]
    public void Sizes_are_read_in_bytes_or_with_a_unit(string text, long bytes)
        => Assert.Equal(bytes, Bound(("Cdc:Pusher:MaxInFlightBytes", text)).Pusher.MaxInFlightBytes);

    [Theory]
    [InlineData("5s", 5_000)]
    [InlineData("2m", 120_000)]
    [InlineData("250ms", 250)]
    [InlineData("00:00:05", 5_000)]
    public void Durations_are_read_with_a_unit_or_as_hh_mm_ss(string text, int milliseconds)
        => Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Bound(("Cdc:ShutdownTimeout", text)).ShutdownTimeout);

    [Theory]
    [InlineData("yes", true)]
    [InlineData("ON", true)]
    [InlineData("1", true)]
    [InlineData("no", false)]
    [InlineData("False", false)]
    public void Booleans_are_read_as_true_false_yes_no_on_off_1_0(string text, bool value)
        => Assert.Equal(value, Bound(("Cdc:Pusher:Dedupe", text)).Pusher.Dedupe);

    [Fact]
    public void A_small_size_on_an_int_setting_binds_too()
        => Assert.Equal(512 << 10, Bound(("Cdc:Nats:BatchMaxBytes", "512KiB")).Nats.BatchMaxBytes);

    [Theory]
    [InlineData("Cdc:Pusher:MaxInFlightBytes", "lots", "Cdc:Pusher:MaxInFlightBytes = 'lots' is not valid: accepted a number of bytes (e.g. 1048576), or with a unit")]
    [InlineData("Cdc:Pusher:MaxInFlightBytes", "64 MiBs", "Cdc:Pusher:MaxInFlightBytes = '64 MiBs' is not valid: accepted a number of bytes")]
    [InlineData("Cdc:ShutdownTimeout", "soon", "Cdc:ShutdownTimeout = 'soon' is not valid: accepted a number with ms, s, m, h or d (e.g. 250ms, 5s, 2m), or hh:mm:ss")]
    [InlineData("Cdc:Pusher:Dedupe", "maybe", "Cdc:Pusher:Dedupe = 'maybe' is not valid: accepted true or false")]
    [InlineData("Cdc:Nats:Replicas", "three", "Cdc:Nats:Replicas = 'three' is not valid: accepted a whole number")]
    [InlineData("Cdc:Nats:BatchMaxBytes", "3GiB", "Cdc:Nats:BatchMaxBytes = '3GiB' is out of range: a number of bytes")]
    public void A_value_that_cannot_be_read_names_the_key_and_what_is_accepted(string key, string value, string expected)
        => Assert.StartsWith(expected, Refusal(key, value), StringComparison.Ordinal);

    [Fact]
    public void A_value_given_to_a_section_is_refused()
        => Assert.StartsWith("Cdc:Nats is a section, not a value", Refusal("Cdc:Nats", "nats://x"), StringComparison.Ordinal);
}
