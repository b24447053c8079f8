using Cdc.Testing;

namespace Cdc.Sink.Tests.Support;

/// <summary>A fact that is skipped, with the reason, when node or npm is not installed.</summary>
internal sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        if (Node.Find("node") is null || Node.Find("npm") is null)
        {
            Skip = "node and npm are not installed (apt-get install -y nodejs npm): the official NATS JavaScript client cannot run";
        }
    }
}

internal static class Node
{
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    /// <summary>The repository folder tests/interop-js, found from the test binaries upwards.</summary>
    public static string InteropDirectory()
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

    /// <summary>Installs the pinned npm packages (package-lock.json) once.</summary>
    public static async Task<string> EnsureInstalledAsync()
    {
        var dir = InteropDirectory();
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "nats")))
        {
            await ProcessRunner.RunAsync(Find("npm")!, ["ci", "--no-audit", "--no-fund", "--prefix", dir], TimeSpan.FromMinutes(5));
        }

        return dir;
    }
}
