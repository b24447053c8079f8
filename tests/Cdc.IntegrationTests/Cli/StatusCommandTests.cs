using System.Globalization;
using System.Net;
using System.Text.Json;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Cli;

/// <summary><c>cdc status</c> and the sidecar's HTTP endpoint, against the real binary and servers.</summary>
public sealed class StatusCommandTests : IAsyncLifetime
{
    private CliEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await CliEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Status_json_shows_the_numbers_moving_and_the_slot_lag_going_back_to_zero()
    {
        await using var cdc = await _env.StartSidecarAsync();

        var (exitBefore, before) = await _env.StatusJsonAsync();
        Assert.Equal(0, exitBefore);
        Assert.Equal("healthy", before.GetProperty("verdict").GetString());
        Assert.Equal("streaming", before.GetProperty("sidecar").GetProperty("status").GetProperty("listener").GetProperty("state").GetString());
        var changesBefore = Listener(before).GetProperty("changes").GetInt64();

        var (inserts, updates, deletes) = await _env.WriteAsync(firstId: 1, count: 200);

        // Poll until every change is counted and the slot caught up with the server's WAL position.
        JsonElement after = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            (_, after) = await _env.StatusJsonAsync();
            var caughtUp = Rows(after, "insert") == inserts && Rows(after, "update") == updates && Rows(after, "delete") == deletes;
            if (caughtUp && after.GetProperty("slot").GetProperty("lag_bytes").GetInt64() == 0)
            {
                break;
            }

            await Task.Delay(500);
        }

        Assert.Equal(inserts, Rows(after, "insert"));
        Assert.Equal(updates, Rows(after, "update"));
        Assert.Equal(deletes, Rows(after, "delete"));
        Assert.True(Listener(after).GetProperty("changes").GetInt64() >= changesBefore + inserts + updates + deletes);
        Assert.Equal(0, after.GetProperty("slot").GetProperty("lag_bytes").GetInt64());
        Assert.True(after.GetProperty("slot").GetProperty("active").GetBoolean(), $"slot not active after catching up:\n{after}\n{cdc.Output}");
        Assert.Equal("reserved", after.GetProperty("slot").GetProperty("wal_status").GetString());
        Assert.True(after.GetProperty("publication").GetProperty("exists").GetBoolean());

        var sink = after.GetProperty("sidecar").GetProperty("status").GetProperty("sink");
        Assert.Equal("CLI", sink.GetProperty("stream").GetString());
        Assert.True(sink.GetProperty("last_sequence").GetUInt64() >= (ulong)(inserts + updates + deletes));
        Assert.Equal(0, sink.GetProperty("errors").GetInt64());
        Assert.Equal(0, Listener(after).GetProperty("in_flight_bytes").GetInt64());
        Assert.True(Listener(after).GetProperty("end_to_end_lag_seconds").GetDouble() is >= 0 and < 30);
        Assert.NotEqual(JsonValueKind.Null, Listener(after).GetProperty("last_commit_time").ValueKind);
    }

    [Fact]
    public async Task Endpoint_serves_prometheus_metrics_health_and_readiness()
    {
        await using var cdc = await _env.StartSidecarAsync();
        var (inserts, updates, _) = await _env.WriteAsync(firstId: 1, count: 20);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{_env.Http}/") };

        // Label order and the empty {} of an unlabelled sample mean nothing to Prometheus: compare samples, not lines.
        string metrics = string.Empty;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline
            && !(Sample(metrics, "cdc_changes_total", "operation=\"update\",table=\"public.items\"") == updates.ToString(CultureInfo.InvariantCulture)
                && Sample(metrics, "cdc_slot_lag_bytes", string.Empty) is not null))
        {
            await Task.Delay(300);
            metrics = await http.GetStringAsync("metrics");
        }

        Assert.Equal(inserts.ToString(CultureInfo.InvariantCulture), Sample(metrics, "cdc_changes_total", "operation=\"insert\",table=\"public.items\""));
        Assert.Equal(updates.ToString(CultureInfo.InvariantCulture), Sample(metrics, "cdc_changes_total", "operation=\"update\",table=\"public.items\""));
        Assert.Contains("# TYPE cdc_changes_total counter\n", metrics, StringComparison.Ordinal);
        Assert.Equal("1", Sample(metrics, "cdc_listener_state", "state=\"streaming\""));
        foreach (var name in new[] { "cdc_change_bytes_total", "cdc_in_flight_bytes", "cdc_pending_chunks", "cdc_slot_lag_bytes", "cdc_end_to_end_lag_seconds", "cdc_reconnects_total", "cdc_errors_total" })
        {
            Assert.Contains($"# TYPE {name} ", metrics, StringComparison.Ordinal);
        }

        // Each family is one group: its samples follow its own TYPE line and no other family's.
        var families = metrics.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(families.Count, families.Distinct().Count());
        string? current = null;
        foreach (var line in metrics.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                current = line.Split(' ')[2];
            }
            else if (!line.StartsWith('#'))
            {
                Assert.StartsWith(current!, line, StringComparison.Ordinal);
            }
        }

        var metricsResponse = await http.GetAsync("metrics");
        Assert.Equal("text/plain", metricsResponse.Content.Headers.ContentType!.MediaType);
        Assert.Contains(metricsResponse.Content.Headers.ContentType.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
        using var status = JsonDocument.Parse(await http.GetStringAsync("status"));
        Assert.Equal(CliEnvironment.Slot, status.RootElement.GetProperty("slot").GetString());

        // While the listener stands by (another instance holds the slot) it is alive but not ready.
        var standbyPort = FreePort.Next();
        await using var second = CdcProcess.Start(
        [
            "run", "--connection", _env.Connection, "--nats", _env.Nats.Url, "--slot", CliEnvironment.Slot, "--publication", CliEnvironment.Publication,
            "--stream", CliEnvironment.Stream, "--http", $"127.0.0.1:{standbyPort}",
        ]);
        await second.WaitForOutputAsync("standing by", TimeSpan.FromSeconds(60));
        using var standby = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{standbyPort}/") };
        Assert.Equal(HttpStatusCode.OK, (await standby.GetAsync("healthz")).StatusCode);
        var notReady = await standby.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Contains("standby", await notReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_against_a_stopped_sidecar_says_it_is_down_and_still_shows_the_slot_and_publication()
    {
        var cdc = await _env.StartSidecarAsync();
        await _env.WriteAsync(firstId: 1, count: 10);
        cdc.Terminate();
        Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(30)), cdc.Output);
        await cdc.DisposeAsync();

        var (exitCode, report) = await _env.StatusJsonAsync();
        Assert.Equal(4, exitCode);
        Assert.Equal("down", report.GetProperty("verdict").GetString());
        Assert.False(report.GetProperty("sidecar").GetProperty("running").GetBoolean());
        Assert.True(report.GetProperty("slot").GetProperty("exists").GetBoolean());
        Assert.False(report.GetProperty("slot").GetProperty("active").GetBoolean());
        Assert.True(report.GetProperty("publication").GetProperty("exists").GetBoolean());

        var (screenExit, screen) = await _env.StatusAsync();
        Assert.Equal(4, screenExit);
        Assert.Contains("DOWN", screen, StringComparison.Ordinal);
        Assert.Contains("the sidecar is not running", screen, StringComparison.Ordinal);
        Assert.Contains(CliEnvironment.Publication, screen, StringComparison.Ordinal);
        Assert.Contains("reserved", screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_while_NATS_is_down_says_degraded_with_the_sink_disconnected_and_healthy_again_once_it_is_back()
    {
        await using var cdc = await _env.StartSidecarAsync();
        var (healthyExit, healthy) = await WaitForStatusAsync(r => Sink(r).GetProperty("connection").GetString() == "connected" && r.GetProperty("exit_code").GetInt32() == 0);
        Assert.Equal(0, healthyExit);
        Assert.Equal(JsonValueKind.Null, Sink(healthy).GetProperty("disconnected_since").ValueKind);

        await _env.Nats.KillAsync();
        var (exitCode, report) = await WaitForStatusAsync(r => Sink(r).GetProperty("connection").GetString() == "disconnected");
        Assert.Equal(5, exitCode);
        Assert.Equal("degraded", report.GetProperty("verdict").GetString());
        Assert.NotEqual(JsonValueKind.Null, Sink(report).GetProperty("disconnected_since").ValueKind);
        Assert.False(string.IsNullOrEmpty(Sink(report).GetProperty("connection_error").GetString()), report.ToString());
        Assert.Contains(report.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith("the sink is not connected to nats://", StringComparison.Ordinal));

        var (screenExit, screen) = await _env.StatusAsync();
        Assert.Equal(5, screenExit);
        // The sink panel names the connection state (wrapped at 80 columns when piped), the verdict line says why.
        Assert.True(screen.Contains("connection  disconnect", StringComparison.Ordinal), screen);
        Assert.True(screen.Contains("DEGRADED (exit 5) the sink is not connected", StringComparison.Ordinal), screen);
        Assert.DoesNotContain("HEALTHY", screen, StringComparison.Ordinal);

        await _env.Nats.StartExistingAsync();
        var (backExit, back) = await WaitForStatusAsync(r => r.GetProperty("exit_code").GetInt32() == 0, TimeSpan.FromSeconds(60));
        Assert.Equal(0, backExit);
        Assert.Equal("connected", Sink(back).GetProperty("connection").GetString());
    }

    [Fact]
    public async Task Status_reads_postgres_with_the_password_file_and_shows_the_publication_of_tables_without_a_key()
    {
        await _env.Pg.ExecuteAsync(
            $"CREATE ROLE monitor LOGIN PASSWORD 'rotated-token'; CREATE TABLE logs (line text); CREATE PUBLICATION {CliEnvironment.Publication} FOR TABLE items; CREATE PUBLICATION {CliEnvironment.Publication}_inserts FOR TABLE logs WITH (publish = 'insert, truncate');",
            "shop");
        await _env.Pg.WriteHbaAsync("host all monitor 127.0.0.1/32 scram-sha-256");
        var monitor = new NpgsqlConnectionStringBuilder(_env.Connection) { Username = "monitor", Password = null }.ConnectionString;
        var passwordFile = Path.Combine(Path.GetTempPath(), $"cdc-status-pw-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, "rotated-token\n");
        try
        {
            string[] args = ["status", "--http", _env.Http, "--connection", monitor, "--slot", CliEnvironment.Slot, "--publication", CliEnvironment.Publication, "--json"];

            // Without the file the login is refused: the report says PostgreSQL could not be read.
            var (_, refused) = await CdcProcess.RunAsync(args, TimeSpan.FromSeconds(30));
            Assert.True(JsonDocument.Parse(refused).RootElement.GetProperty("postgres_error").GetString() is { Length: > 0 }, refused);

            // With it (the variable the sidecar reads too), the slot and both publications are read.
            var (_, json) = await CdcProcess.RunAsync(args, TimeSpan.FromSeconds(30), new Dictionary<string, string> { ["CDC__PASSWORDFILE"] = passwordFile });
            var report = JsonDocument.Parse(json).RootElement;
            Assert.Equal(JsonValueKind.Null, report.GetProperty("postgres_error").ValueKind);
            Assert.True(report.GetProperty("publication").GetProperty("exists").GetBoolean(), json);
            var inserts = report.GetProperty("inserts_publication");
            Assert.Equal($"{CliEnvironment.Publication}_inserts", inserts.GetProperty("name").GetString());
            Assert.Equal(1, inserts.GetProperty("table_count").GetInt64());

            var (_, screen) = await CdcProcess.RunAsync(args[..^1], TimeSpan.FromSeconds(30), new Dictionary<string, string> { ["CDC__PASSWORDFILE"] = passwordFile });
            // The panel is 80 columns wide when piped: the name wraps after its first characters.
            Assert.True(screen.Contains($"without a key  {CliEnvironment.Publication}_", StringComparison.Ordinal), screen);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    [Fact]
    public async Task Status_with_a_wrong_connection_says_so_instead_of_healthy()
    {
        await using var cdc = await _env.StartSidecarAsync();
        await WaitForStatusAsync(r => r.GetProperty("exit_code").GetInt32() == 0);

        var wrong = _env.Pg.ConnectionString("no_such_database");
        string[] args = ["status", "--http", _env.Http, "--connection", wrong, "--slot", CliEnvironment.Slot, "--publication", CliEnvironment.Publication];
        var (jsonExit, json) = await CdcProcess.RunAsync([.. args, "--json"], TimeSpan.FromSeconds(30));
        using var document = JsonDocument.Parse(json);
        var report = document.RootElement;
        Assert.Equal(5, jsonExit);
        Assert.Equal("degraded", report.GetProperty("verdict").GetString());
        Assert.Contains("no_such_database", report.GetProperty("postgres_error").GetString(), StringComparison.Ordinal);
        Assert.Contains(report.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.StartsWith("PostgreSQL cannot be read with --connection", StringComparison.Ordinal));

        var (screenExit, screen) = await CdcProcess.RunAsync(args, TimeSpan.FromSeconds(30));
        Assert.Equal(5, screenExit);
        Assert.True(screen.Contains("DEGRADED (exit 5) PostgreSQL cannot be read with --connection", StringComparison.Ordinal), screen);
        Assert.DoesNotContain("HEALTHY", screen, StringComparison.Ordinal);
    }

    /// <summary>Runs <c>cdc status --json</c> until <paramref name="done"/> holds (the last report either way).</summary>
    private async Task<(int ExitCode, JsonElement Report)> WaitForStatusAsync(Func<JsonElement, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        var (exitCode, report) = await _env.StatusJsonAsync();
        while (!done(report) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            (exitCode, report) = await _env.StatusJsonAsync();
        }

        return (exitCode, report);
    }

    private static JsonElement Sink(JsonElement report) => report.GetProperty("sidecar").GetProperty("status").GetProperty("sink");

    private static JsonElement Listener(JsonElement report) => report.GetProperty("sidecar").GetProperty("status").GetProperty("listener");

    private static long Rows(JsonElement report, string operation)
        => report.GetProperty("sidecar").GetProperty("status").GetProperty("tables").EnumerateArray()
            .Where(t => t.GetProperty("table").GetString() == "public.items" && t.GetProperty("operation").GetString() == operation)
            .Sum(t => t.GetProperty("changes").GetInt64());

    /// <summary>The value of the sample of <paramref name="family"/> with exactly these labels (sorted by name, as the exporter writes them); null when absent.</summary>
    private static string? Sample(string page, string family, string labels)
    {
        var series = $"{family}{{{labels}}} ";
        var line = page.Split('\n').FirstOrDefault(l => l.StartsWith(series, StringComparison.Ordinal));
        return line?[series.Length..];
    }
}
