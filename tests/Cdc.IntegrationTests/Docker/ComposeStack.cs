using Cdc.Testing;

namespace Cdc.IntegrationTests.Docker;

/// <summary>
/// docker/compose.yaml run as a project of its own (a unique name, host ports chosen free), with Debian 12's
/// docker-compose 1.29 or `docker compose` v2, whichever is installed. Disposing takes it down with its volumes.
/// </summary>
internal sealed class ComposeStack : IAsyncDisposable
{
    private readonly string _composeFile;
    private readonly string _project = "cdc-compose-test-" + Guid.NewGuid().ToString("N")[..8];

    private ComposeStack(string repositoryRoot)
    {
        _composeFile = Path.Combine(repositoryRoot, "docker", "compose.yaml");
    }

    public int PostgresPort { get; } = FreePort.Next();

    public int NatsPort { get; } = FreePort.Next();

    public int HttpPort { get; } = FreePort.Next();

    public string PostgresConnection => $"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Password=postgres;Database=shop;Timeout=5";

    public string NatsUrl => $"nats://127.0.0.1:{NatsPort}";

    /// <summary>Builds the images when their recipes changed (docker/build-images), then starts the stack; returns the build's output.</summary>
    public static async Task<(ComposeStack Stack, string BuildOutput)> StartAsync(string repositoryRoot)
    {
        var build = await ProcessRunner.RunAsync(Path.Combine(repositoryRoot, "docker", "build-images"), [], TimeSpan.FromMinutes(20)).ConfigureAwait(false);
        var stack = new ComposeStack(repositoryRoot);
        try
        {
            await stack.RunAsync(["up", "-d"], TimeSpan.FromMinutes(3)).ConfigureAwait(false);
        }
        catch
        {
            await stack.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return (stack, build);
    }

    /// <summary>A docker-compose command against this project, e.g. <c>exec -T cdc id -u</c>.</summary>
    public Task<string> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null, bool check = true)
    {
        var (command, prefix) = ComposeCommand();
        string[] environment =
        [
            $"CDC_PG_PORT={PostgresPort}", $"CDC_NATS_PORT={NatsPort}", $"CDC_HTTP_PORT={HttpPort}",
            // docker-compose 1.29 (docker-py) negotiates down to the engine's API version by itself; v2 honours this.
            "DOCKER_API_VERSION=" + (Environment.GetEnvironmentVariable("DOCKER_API_VERSION") ?? "1.41"),
        ];
        return ProcessRunner.RunAsync("env", [.. environment, command, .. prefix, "-p", _project, "-f", _composeFile, .. arguments], timeout, check);
    }

    /// <summary>Every service's log, for a failure message.</summary>
    public async Task<string> LogsAsync()
    {
        try
        {
            return await RunAsync(["logs", "--no-color", "--tail", "60"], TimeSpan.FromSeconds(30), check: false).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return "(no logs: " + e.Message + ")";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(["down", "-v", "--remove-orphans", "--timeout", "20"], TimeSpan.FromMinutes(2), check: false).ConfigureAwait(false);
    }

    private static (string Command, string[] Prefix) ComposeCommand()
        => OnPath("docker-compose") ? ("docker-compose", []) : ("docker", ["compose"]);

    private static bool OnPath(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, name)));
}
