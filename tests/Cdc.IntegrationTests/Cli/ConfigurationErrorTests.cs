using System.Net;
using System.Net.Sockets;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Cli;

/// <summary>
/// A bad setting stops <c>cdc run</c> before it connects anywhere, with exit code 2 and one line that
/// names the key and what is accepted; <c>--help</c> gives every option's default.
/// </summary>
public sealed class ConfigurationErrorTests
{
    // Valid but unreachable: validation must fail before any connection is tried.
    private const string Connection = "Host=127.0.0.1;Port=1;Database=shop";

    [Theory]
    [InlineData("--max-in-flight-bytes", "-5", "cdc: Cdc:Pusher:MaxInFlightBytes = -5 is out of range: accepted 1 MiB to 64 GiB")]
    [InlineData("--nats", "ftp://x", "cdc: Cdc:Nats:Url has 'ftp://x': expected nats://host:port or tls://host:port, comma separated")]
    [InlineData("--http", "localhost", "cdc: Cdc:Http:Listen = 'localhost' is not valid: accepted host:port with an IP address, localhost or * as host and a port 1-65535 (e.g. 127.0.0.1:8089), or off")]
    [InlineData("--http", "127.0.0.1:70000", "cdc: Cdc:Http:Listen = '127.0.0.1:70000' is not valid")]
    [InlineData("--slot", "Bad-Slot", "cdc: Cdc:Slot = 'Bad-Slot' is not valid")]
    [InlineData("--max-in-flight-bytes", "lots", "Cdc:Pusher:MaxInFlightBytes")]
    public async Task A_bad_value_exits_2_with_one_line_naming_the_key(string option, string value, string expected)
    {
        var (exitCode, output) = await CdcProcess.RunAsync(["run", "--connection", Connection, option, value], TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(";Multiplexing=true", "cdc: Cdc:Connection: 'Multiplexing' is not supported by Cdc")]
    [InlineData(";Replication Mode=Logical", "cdc: Cdc:Connection: 'Replication Mode' is not supported")]
    public async Task A_connection_key_Cdc_cannot_honour_exits_2_with_one_line_naming_it(string key, string expected)
    {
        var (exitCode, output) = await CdcProcess.RunAsync(["run", "--connection", Connection + key], TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_value_from_an_environment_variable_names_the_key_too()
    {
        var (exitCode, output) = await CdcProcess.RunAsync(["run"], TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["CDC__CONNECTION"] = Connection, ["CDC__NATS__REPLICAS"] = "9" });

        Assert.Equal(2, exitCode);
        Assert.Equal("cdc: Cdc:Nats:Replicas = 9 is out of range: accepted 1 to 5", output.Trim());
    }

    [Fact]
    public async Task A_settings_file_that_is_not_JSON_exits_2_with_one_line_naming_the_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"cdc-bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "{ \"Cdc\": { \"Slot\": ");
        try
        {
            var (exitCode, output) = await CdcProcess.RunAsync(["run", "--connection", Connection, "--config", file], TimeSpan.FromSeconds(30));

            Assert.Equal(2, exitCode);
            var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.StartsWith($"cdc: Failed to load configuration from file '{file}': ", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_single_value_for_the_table_list_is_refused_not_dropped()
    {
        // Dropped silently, it would make a publication Cdc creates cover every table.
        var (exitCode, output) = await CdcProcess.RunAsync(["run"], TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["CDC__CONNECTION"] = Connection, ["CDC__TABLES"] = "public.items" });

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("cdc: Cdc:Tables = 'public.items' is a single value: give a list", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_status_address_in_use_fails_in_one_line_before_replication_starts()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        var (exitCode, output) = await CdcProcess.RunAsync(["run", "--connection", Connection, "--http", $"127.0.0.1:{port}"], TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"cdc: Cdc:Http:Listen = '127.0.0.1:{port}': cannot listen there", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tail", "--since", "yesterday", "cdc tail: --since 'yesterday' is not valid")]
    [InlineData("tail", "--from-seq", "0", "cdc tail: --from-seq '0' is not valid: accepted a stream sequence, 1 or more")]
    [InlineData("tail", "--from-seq", "abc", "cdc tail: --from-seq 'abc' is not valid: accepted a stream sequence, 1 or more")]
    [InlineData("tail", "--limit", "-5", "cdc tail: --limit '-5' is not valid: accepted a whole number of changes, 0 or more")]
    [InlineData("status", "--max-lag-bytes", "lots", "cdc status: --max-lag-bytes 'lots' is not valid: accepted a number of bytes (e.g. 1048576), or with a unit")]
    [InlineData("tail", "--nats", "ftp://x", "cdc tail: --nats 'ftp://x' is not valid")]
    [InlineData("status", "--http", "nowhere", "cdc status: --http Cdc:Http:Listen = 'nowhere' is not valid")]
    [InlineData("status", "--max-lag", "soon", "cdc status: --max-lag 'soon' is not valid")]
    [InlineData("status", "--connection", "Bogus=1", "cdc status: --connection is not a valid connection string")]
    public async Task Status_and_tail_reject_bad_options_in_one_line(string command, string option, string value, string expected)
    {
        var (exitCode, output) = await CdcProcess.RunAsync([command, option, value], TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--set", "Cdc:Nats:BatchMaxRowz=500", "cdc: Cdc:Nats:BatchMaxRowz is not a setting: did you mean Cdc:Nats:BatchMaxRows?")]
    [InlineData("--set", "Cdc:Nats:BatchMaxBytes=3 GiB", "cdc: Cdc:Nats:BatchMaxBytes = '3 GiB' is out of range: a number of bytes")]
    [InlineData("--set", "Cdc:Nats:BatchTimeout=often", "cdc: Cdc:Nats:BatchTimeout = 'often' is not valid: accepted a number with ms, s, m, h or d (e.g. 250ms, 5s, 2m), or hh:mm:ss")]
    [InlineData("--shutdown-timeout", "soon", "cdc: Cdc:ShutdownTimeout = 'soon' is not valid: accepted a number with ms, s, m, h or d")]
    [InlineData("--dedupe", "maybe", "cdc: Cdc:Pusher:Dedupe = 'maybe' is not valid: accepted true or false (also yes/no, on/off, 1/0)")]
    [InlineData("--max-in-flight-bytes", "64 MiBs", "cdc: Cdc:Pusher:MaxInFlightBytes = '64 MiBs' is not valid: accepted a number of bytes (e.g. 1048576), or with a unit")]
    public async Task Run_refuses_misspelt_keys_and_unreadable_values_in_one_line(string option, string value, string expected)
    {
        var (exitCode, output) = await CdcProcess.RunAsync(["run", "--connection", Connection, option, value], TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("status")]
    [InlineData("tail")]
    public async Task Every_command_refuses_a_misspelt_variable_naming_the_closest_key(string command)
    {
        var (exitCode, output) = await CdcProcess.RunAsync([command], TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["CDC__CONNECTION"] = Connection, ["CDC__NATS__URLL"] = "nats://127.0.0.1:4222" });

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.EndsWith("is not a setting: did you mean Cdc:Nats:Url?", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run --bogus", "cdc run: Unrecognized command or argument '--bogus'.")]
    [InlineData("run --log-format xml", "cdc run: Argument 'xml' not recognized. Must be one of: 'console' 'json'")]
    [InlineData("status --max-lag", "cdc status: Required argument missing for option: '--max-lag'.")]
    public async Task An_unknown_option_or_a_malformed_command_line_exits_2_in_a_line_per_problem(string arguments, string expected)
    {
        var (exitCode, output) = await CdcProcess.RunAsync(arguments.Split(' '), TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith(expected, lines[0], StringComparison.Ordinal);
        var command = "cdc " + arguments.Split(' ')[0];
        Assert.Equal($"{command}: see '{command} --help'", lines[1]);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("status")]
    [InlineData("tail")]
    public async Task Help_gives_every_option_a_default(string command)
    {
        var (exitCode, output) = await CdcProcess.RunAsync([command, "--help"], TimeSpan.FromSeconds(30));

        Assert.Equal(0, exitCode);
        var options = OptionBlocks(output);
        Assert.True(options.Count >= 5, output);
        foreach (var (name, text) in options.Where(o => o.Name != "-?"))
        {
            Assert.True(text.Contains("[default:", StringComparison.Ordinal) || text.Contains("Required", StringComparison.Ordinal), $"{command} {name} has no default in --help:\n{text}");
        }
    }

    /// <summary>Each option of the help's Options section with its (possibly wrapped) description.</summary>
    private static List<(string Name, string Text)> OptionBlocks(string help)
    {
        var blocks = new List<(string, string)>();
        var inOptions = false;
        foreach (var line in help.Split('\n'))
        {
            if (line.StartsWith("Options:", StringComparison.Ordinal))
            {
                inOptions = true;
                continue;
            }

            if (!inOptions || line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("  -", StringComparison.Ordinal))
            {
                blocks.Add((line.Trim().Split(' ', ',')[0], line));
            }
            else if (blocks.Count > 0 && line.StartsWith("   ", StringComparison.Ordinal))
            {
                blocks[^1] = (blocks[^1].Item1, blocks[^1].Item2 + line);
            }
            else if (!line.StartsWith(' '))
            {
                inOptions = false;
            }
        }

        return blocks;
    }
}
