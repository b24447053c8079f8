using System.Text;
using System.Text.Json;
using Cdc.IntegrationTests.Support;
using NATS.Client.Core;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Cli;

/// <summary><c>cdc tail</c> against the real binary, sidecar and servers.</summary>
public sealed class TailCommandTests : IAsyncLifetime
{
    private CliEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await CliEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Tail_json_prints_the_changes_just_committed_in_commit_order()
    {
        await using var cdc = await _env.StartSidecarAsync();
        // Earlier changes: tail (new messages only) must not print them.
        var (i0, u0, d0) = await _env.WriteAsync(firstId: 1000, count: 3);
        await StreamContents.WaitForAsync(_env.Nats.Url, CliEnvironment.Stream, i0 + u0 + d0, TimeSpan.FromSeconds(30));
        await using var tail = CdcProcess.Start(["tail", "--nats", _env.Nats.Url, "--stream", CliEnvironment.Stream, "--table", "public.items", "--json", "--limit", "17"]);
        await tail.WaitForOutputAsync("tailing stream", TimeSpan.FromSeconds(30));

        var (inserts, updates, deletes) = await _env.WriteAsync(firstId: 1, count: 10);
        Assert.Equal((10, 5, 2), (inserts, updates, deletes));
        Assert.True(await tail.WaitForExitAsync(TimeSpan.FromSeconds(30)), tail.Output);
        Assert.Equal(0, tail.ExitCode);

        var lines = JsonLines(tail.Output);
        Assert.Equal(17, lines.Count);
        var events = lines.Select(l => l.GetProperty("event")).ToList();
        Assert.All(events, e => Assert.Equal("items", e.GetProperty("table").GetString()));
        Assert.Equal(
            Enumerable.Repeat("OPERATION_INSERT", 10).Concat(Enumerable.Repeat("OPERATION_UPDATE", 5)).Concat(Enumerable.Repeat("OPERATION_DELETE", 2)),
            events.Select(e => e.GetProperty("operation").GetString()));

        // Keys of the inserts, in commit order: 1..10; then the updated ones; then the deleted ones.
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            events.Take(10).Select(e => e.GetProperty("newRow")[0].GetProperty("value").GetProperty("int").GetString()));
        Assert.Equal(["1", "3", "5", "7", "9"], events.Skip(10).Take(5).Select(e => e.GetProperty("newRow")[0].GetProperty("value").GetProperty("int").GetString()));
        Assert.Equal(["5", "10"], events.Skip(15).Select(e => e.GetProperty("oldRow")[0].GetProperty("value").GetProperty("int").GetString()));

        // Stream sequences strictly increase, and the subject names the table.
        var sequences = lines.Select(l => l.GetProperty("seq").GetUInt64()).ToList();
        Assert.Equal(sequences.Order(), sequences);
        Assert.All(lines, l => Assert.Equal("cdc.shop.public.items", l.GetProperty("subject").GetString()));
    }

    [Fact]
    public async Task Tail_reports_a_gap_where_stream_messages_were_deleted_and_filters_by_operation()
    {
        await using var cdc = await _env.StartSidecarAsync();
        var (inserts, updates, deletes) = await _env.WriteAsync(firstId: 1, count: 10);
        var stored = await StreamContents.WaitForAsync(_env.Nats.Url, CliEnvironment.Stream, inserts + updates + deletes, TimeSpan.FromSeconds(30));
        var victims = stored.Where(c => c.Event.Operation == V1.Operation.Insert).Skip(2).Take(3).Select(c => c.Sequence).ToList();
        await DeleteMessagesAsync(victims);

        var (exitCode, output) = await CdcProcess.RunAsync(
            ["tail", "--nats", _env.Nats.Url, "--stream", CliEnvironment.Stream, "--from-start", "--json", "--exit-when-idle", "3s"],
            TimeSpan.FromSeconds(60));
        Assert.Equal(0, exitCode);
        var gaps = JsonLines(output).Where(l => l.TryGetProperty("gap", out _)).Select(l => l.GetProperty("gap")).ToList();
        var gap = Assert.Single(gaps);
        Assert.Equal(victims[0], gap.GetProperty("first").GetUInt64());
        Assert.Equal(victims[^1], gap.GetProperty("last").GetUInt64());
        Assert.Equal(3UL, gap.GetProperty("missing").GetUInt64());
        Assert.Equal(inserts + updates + deletes - 3, JsonLines(output).Count(l => l.TryGetProperty("event", out _)));

        var (humanExit, human) = await CdcProcess.RunAsync(
            ["tail", "--nats", _env.Nats.Url, "--stream", CliEnvironment.Stream, "--from-start", "--exit-when-idle", "3s"],
            TimeSpan.FromSeconds(60));
        Assert.Equal(0, humanExit);
        Assert.Contains($"gap: sequences {victims[0]}-{victims[^1]} are missing (deleted or expired)", human, StringComparison.Ordinal);
        Assert.Contains("UPDATE public.items [id=1] name='item 1' price=2.25", human, StringComparison.Ordinal);

        var (_, onlyDeletes) = await CdcProcess.RunAsync(
            ["tail", "--nats", _env.Nats.Url, "--stream", CliEnvironment.Stream, "--from-seq", "1", "--op", "delete", "--exit-when-idle", "3s"],
            TimeSpan.FromSeconds(60));
        var changeLines = onlyDeletes.Split('\n').Where(l => l.StartsWith('#')).ToList();
        Assert.Equal(deletes, changeLines.Count);
        Assert.All(changeLines, l => Assert.Contains(" DELETE public.items [id=", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tail_of_a_missing_stream_fails_in_one_line()
    {
        var (exitCode, output) = await CdcProcess.RunAsync(["tail", "--nats", _env.Nats.Url, "--stream", "NOPE"], TimeSpan.FromSeconds(30));
        Assert.Equal(1, exitCode);
        Assert.Equal("cdc tail: stream NOPE does not exist on this server (is --stream right, has cdc run started?)", output.Trim());
    }

    [Fact]
    public async Task Tail_into_a_pipe_prints_one_unwrapped_line_per_change()
    {
        await using var cdc = await _env.StartSidecarAsync();
        var name = new string('n', 40); // under the value preview's cut, over 80 columns as a line
        await _env.Pg.ExecuteAsync($"INSERT INTO items VALUES (1, '{name}', 1.50), (2, 'short', 2.50);", "shop");
        await StreamContents.WaitForAsync(_env.Nats.Url, CliEnvironment.Stream, 2, TimeSpan.FromSeconds(30));

        // CdcProcess redirects stdout: tail writes into a pipe, as in `cdc tail | grep`.
        var (exitCode, output) = await CdcProcess.RunAsync(
            ["tail", "--nats", _env.Nats.Url, "--stream", CliEnvironment.Stream, "--from-start", "--exit-when-idle", "3s"],
            TimeSpan.FromSeconds(60));

        Assert.Equal(0, exitCode);
        var inserts = output.Split('\n').Where(l => l.Contains("INSERT", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, inserts.Count);
        Assert.EndsWith($"INSERT public.items [id=1] name='{name}' price=1.50", inserts[0].TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
    }

    private async Task DeleteMessagesAsync(IEnumerable<ulong> sequences)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = _env.Nats.Url, Name = "test" });
        foreach (var seq in sequences)
        {
            var reply = await connection.RequestAsync<byte[], byte[]>($"$JS.API.STREAM.MSG.DELETE.{CliEnvironment.Stream}", Encoding.UTF8.GetBytes($"{{\"seq\":{seq}}}"));
            Assert.Contains("\"success\":true", Encoding.UTF8.GetString(reply.Data!), StringComparison.Ordinal);
        }
    }

    private static List<JsonElement> JsonLines(string output)
        => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .ToList();
}
