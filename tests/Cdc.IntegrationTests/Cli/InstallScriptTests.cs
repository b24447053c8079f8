using Cdc.Testing;

namespace Cdc.IntegrationTests.Cli;

/// <summary><c>scripts/install-cdc</c> gives a <c>cdc</c> command that runs as the README writes it.</summary>
public sealed class InstallScriptTests
{
    [Fact]
    public async Task The_install_script_puts_a_working_cdc_command_in_place()
    {
        // A home and a bin directory of its own: the test leaves the machine's cdc as it was.
        var root = Directory.CreateTempSubdirectory("cdc-install-").FullName;
        var bin = Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        try
        {
            var output = await ProcessRunner.RunAsync("env",
                [$"HOME={root}", $"NUGET_PACKAGES={packages}", $"CDC_BIN_DIR={bin}", Path.Combine(RepositoryRoot.Path, "scripts", "install-cdc")],
                TimeSpan.FromMinutes(5));
            Assert.Contains($"install-cdc: {bin}/cdc -> cdc 0.1.0-dev.", output, StringComparison.Ordinal);

            var cdc = Path.Combine(bin, "cdc");
            Assert.StartsWith("0.1.0-dev.", await ProcessRunner.RunAsync(cdc, ["--version"]), StringComparison.Ordinal);
            var refusal = await ProcessRunner.RunAsync(cdc, ["tail", "--limit", "-5"], check: false);
            Assert.Equal("cdc tail: --limit '-5' is not valid: accepted a whole number of changes, 0 or more (0 = run until Ctrl-C)", refusal.Trim());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
