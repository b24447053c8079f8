namespace Cdc.Testing;

/// <summary>
/// What Testcontainers needs on these machines when the test run did not say otherwise (scripts/test sets the
/// same): the Docker engine from Debian 12 speaks API 1.41 at most, and the resource reaper's image cannot be
/// pulled, so it is off and every test disposes the containers it started.
/// </summary>
internal static class DockerEnvironment
{
    public static void Apply()
    {
        SetDefault("DOCKER_API_VERSION", "1.41");
        SetDefault("TESTCONTAINERS_RYUK_DISABLED", "true");
    }

    private static void SetDefault(string name, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
