using System.Globalization;
using System.Text.Json;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Support;

/// <summary>The official NATS JavaScript client (tests/interop-js), run with node as a consumer in another language.</summary>
public static class JavaScriptClient
{
    public static bool IsAvailable => Find("node") is not null && Find("npm") is not null;

    /// <summary>Reads <paramref name="expected"/> messages of <paramref name="stream"/> with read-events.mjs: one JSON document per message.</summary>
    public static async Task<IReadOnlyList<JsonElement>> ReadEventsAsync(string url, string stream, int expected)
    {
        var dir = await EnsureInstalledAsync();
        var output = await ProcessRunner.RunAsync(
            Find("node")!, [Path.Combine(dir, "read-events.mjs"), url, stream, expected.ToString(CultureInfo.InvariantCulture), "30000"], TimeSpan.FromMinutes(2));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToList();
    }

    private static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    private static async Task<string> EnsureInstalledAsync()
    {
        var dir = InteropDirectory();
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "nats")))
        {
            await ProcessRunner.RunAsync(Find("npm")!, ["ci", "--no-audit", "--no-fund", "--prefix", dir], TimeSpan.FromMinutes(5));
        }

        return dir;
    }

    private static string InteropDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "interop-js");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/interop-js not found above " + AppContext.BaseDirectory);
    }
}
