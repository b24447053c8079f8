using System.Net;
using System.Text.Json;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Resume;

/// <summary>
/// Heartbeats through the slot tell a stalled pipeline from an idle database: on an idle database /readyz stays green
/// and the heartbeat's lag is measured; with a change stuck before JetStream it turns red although the session still streams.
/// </summary>
public sealed class HeartbeatTests
{
    [Fact]
    public async Task Readyz_turns_red_when_heartbeats_stop_arriving_and_heartbeats_are_not_published()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await pg.CreateDatabaseAsync("beats");
        await pg.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY);", "beats");
        var port = FreePort.Next();
        await using var cdc = CdcProcess.Start(
        [
            "run", "--connection", pg.ConnectionString("beats"), "--nats", nats.Url, "--slot", "beats", "--publication", "beats_pub",
            "--stream", "BEATS", "--snapshot", "never", "--http", $"127.0.0.1:{port}",
        ], new Dictionary<string, string> { ["Cdc__Heartbeat__Interval"] = "00:00:00.5", ["Cdc__Heartbeat__Timeout"] = "00:00:03" });
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        // Idle database, heartbeats arriving: ready, with a measured lag, and nothing in the stream.
        await Eventually.UntilAsync(() => Lag(http) is > 0, TimeSpan.FromSeconds(30), "a heartbeat lag in /status", diagnostics: () => cdc.Output);
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode);
        Assert.Empty(await StreamContents.ReadAllAsync(nats.Url, "BEATS"));

        // JetStream goes away with a change in flight: the heartbeats behind it cannot arrive, while the session still
        // streams. (An idle database with NATS down has nothing stalled behind a heartbeat: the sink's connection state
        // reports that one.)
        await nats.KillAsync();
        await pg.ExecuteAsync("INSERT INTO t VALUES (1);", "beats");
        await Eventually.UntilAsync(() => ReadyStatus(http) == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "/readyz to fail", diagnostics: () => cdc.Output);
        var body = await (await http.GetAsync("readyz")).Content.ReadAsStringAsync();
        Assert.Contains("no heartbeat arrived", body, StringComparison.Ordinal);

        // Back: heartbeats arrive again and readiness returns.
        await nats.StartExistingAsync();
        await Eventually.UntilAsync(() => ReadyStatus(http) == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "/readyz to recover", diagnostics: () => cdc.Output);
    }

    private static double? Lag(HttpClient http)
    {
        using var document = JsonDocument.Parse(http.GetStringAsync("status").GetAwaiter().GetResult());
        return document.RootElement.GetProperty("listener").TryGetProperty("heartbeat_lag_seconds", out var lag) && lag.ValueKind == JsonValueKind.Number ? lag.GetDouble() : null;
    }

    private static HttpStatusCode ReadyStatus(HttpClient http) => http.GetAsync("readyz").GetAwaiter().GetResult().StatusCode;
}
