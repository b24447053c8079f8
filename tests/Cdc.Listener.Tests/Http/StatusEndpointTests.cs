using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cdc.Listener.Configuration;
using Cdc.Listener.Delivery;
using Cdc.Listener.Http;
using Cdc.Listener.Source;
using Cdc.Listener.Telemetry;
using Cdc.Sink;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Cdc.Listener.Tests.Http;

/// <summary>
/// The sidecar's HTTP endpoint in process: <c>/metrics</c> keeps every metric name, type and label users had from the
/// hand-written page, and <c>/healthz</c> / <c>/readyz</c> answer with the same codes and lines.
/// </summary>
[Collection(nameof(StatusEndpointTests))]
[CollectionDefinition(nameof(StatusEndpointTests), DisableParallelization = true)]
public sealed class StatusEndpointTests
{
    /// <summary>Every family of the page before System.Diagnostics.Metrics, with its type.</summary>
    public static TheoryData<string, string> Families => new()
    {
        { "cdc_listener_state", "gauge" },
        { "cdc_uptime_seconds", "gauge" },
        { "cdc_changes_total", "counter" },
        { "cdc_change_bytes_total", "counter" },
        { "cdc_transactions_total", "counter" },
        { "cdc_skipped_transactions_total", "counter" },
        { "cdc_in_flight_bytes", "gauge" },
        { "cdc_in_flight_bytes_limit", "gauge" },
        { "cdc_pending_chunks", "gauge" },
        { "cdc_pending_transactions", "gauge" },
        { "cdc_pending_acks", "gauge" },
        { "cdc_pusher_budget_waits_total", "counter" },
        { "cdc_pusher_budget_wait_seconds_total", "counter" },
        { "cdc_slot_lag_bytes", "gauge" },
        { "cdc_end_to_end_lag_seconds", "gauge" },
        { "cdc_confirmed_flush_lsn", "gauge" },
        { "cdc_sink_last_sequence", "gauge" },
        { "cdc_reconnects_total", "counter" },
        { "cdc_errors_total", "counter" },
        { "cdc_duplicate_acks_total", "counter" },

        // Added since: resume from the stream, lost-slot gaps, heartbeats.
        { "cdc_resume_skipped_transactions_total", "counter" },
        { "cdc_resume_skipped_changes_total", "counter" },
        { "cdc_source_gaps_total", "counter" },
        { "cdc_heartbeat_lag_seconds", "gauge" },
        { "cdc_jetstream_duplicates_total", "counter" },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Metrics_page_keeps_each_family_with_its_type(string name, string type)
    {
        await using var endpoint = await RunningEndpoint.StartAsync(Busy());

        var page = await endpoint.Http.GetStringAsync("metrics");

        Assert.Contains($"# TYPE {name} {type}\n", page, StringComparison.Ordinal);
        Assert.Contains(Samples(page, name), _ => true);
    }

    [Fact]
    public async Task Metrics_page_shows_the_live_numbers_with_their_labels()
    {
        var status = Busy();
        await using var endpoint = await RunningEndpoint.StartAsync(status);

        var page = await endpoint.Http.GetStringAsync("metrics");

        var samples = Samples(page).ToList();
        Assert.Contains(("cdc_changes_total{table=\"public.items\",operation=\"insert\"}", "3"), samples);
        Assert.Contains(("cdc_change_bytes_total{table=\"public.items\",operation=\"insert\"}", "300"), samples);
        Assert.Contains(("cdc_changes_total{table=\"public.items\",operation=\"update\"}", "1"), samples);
        Assert.Contains(("cdc_listener_state{state=\"streaming\"}", "1"), samples);
        Assert.Contains(("cdc_listener_state{state=\"standby\"}", "0"), samples);
        Assert.Contains(("cdc_transactions_total", "2"), samples);
        Assert.Contains(("cdc_in_flight_bytes", "4096"), samples);
        Assert.Contains(("cdc_pending_chunks", "3"), samples);
        Assert.Contains(("cdc_slot_lag_bytes", "1234"), samples);
        Assert.Contains(("cdc_confirmed_flush_lsn", "22000000"), samples);
        Assert.Contains(("cdc_pending_acks", "7"), samples);
        Assert.Contains(("cdc_in_flight_bytes_limit", "67108864"), samples);
        Assert.Contains(("cdc_resume_skipped_transactions_total", "5"), samples);
        Assert.Contains(("cdc_resume_skipped_changes_total", "1"), samples);
        Assert.Contains(("cdc_source_gaps_total", "1"), samples);
        Assert.Contains(("cdc_jetstream_duplicates_total", "11"), samples);
        Assert.InRange(double.Parse(Samples(page, "cdc_heartbeat_lag_seconds").Single().Value, CultureInfo.InvariantCulture), 0.25, 60);

        // The numbers move between scrapes (no cached page).
        status.Changes.CountChange(status.Changes.CounterFor("public.items", "insert"), 100);
        Assert.Contains(("cdc_changes_total{table=\"public.items\",operation=\"insert\"}", "4"), Samples(await endpoint.Http.GetStringAsync("metrics")));
    }

    [Fact]
    public async Task Status_document_shows_each_areas_numbers()
    {
        await using var endpoint = await RunningEndpoint.StartAsync(Busy());

        var json = await endpoint.Http.GetStringAsync("status");
        var status = System.Text.Json.JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusDocument)!;

        Assert.Equal(("cdc", "shop"), (status.Slot, status.Database));
        Assert.Equal(("streaming", 4L, 2L, 4, 64L << 20), (status.Listener.State, status.Listener.Changes, status.Listener.Transactions, status.Listener.ProtocolVersion, status.Listener.MaxInFlightBytes));
        Assert.Equal((4096L, 3, 1), (status.Listener.InFlightBytes, status.Listener.PendingChunks, status.Listener.PendingTransactions));
        Assert.Equal(new Cdc.Decoding.Lsn(22_000_000).ToString(), status.Listener.ConfirmedFlushLsn);
        Assert.Equal(("CDC", 7, "connected"), (status.Sink.Stream, status.Sink.PendingAcks, status.Sink.Connection));
        Assert.Equal(1234, status.SlotState!.LagBytes);
        Assert.Contains(new TableCount("public.items", "insert", 3, 300), status.Tables);
        Assert.Null(status.Outbox);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Nats_client_metrics_are_exported_only_when_switched_on(bool on)
    {
        await using var endpoint = await RunningEndpoint.StartAsync(Busy(), new HttpEndpointOptions { NatsClientMetrics = on });

        // What NATS.Net's instrumentation listens to: its own meter.
        using var nats = new Meter("NATS.Net");
        nats.CreateCounter<long>("nats.client.reconnects").Add(2);
        var page = await endpoint.Http.GetStringAsync("metrics");

        Assert.Equal(on, page.Contains("nats_client_reconnects", StringComparison.Ordinal));
        Assert.Contains("# TYPE cdc_changes_total counter\n", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prometheus_server_asking_for_openmetrics_gets_the_same_series()
    {
        await using var endpoint = await RunningEndpoint.StartAsync(Busy());
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");

        // What Prometheus 2.x and 3.x send.
        request.Headers.TryAddWithoutValidation("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        using var response = await endpoint.Http.SendAsync(request);
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal("application/openmetrics-text", response.Content.Headers.ContentType!.MediaType);

        // An OpenMetrics counter family is named without _total; its samples (the series Prometheus stores) keep it.
        Assert.Contains("# TYPE cdc_changes counter\n", page, StringComparison.Ordinal);
        Assert.Contains(("cdc_changes_total{table=\"public.items\",operation=\"insert\"}", "3"), Samples(page));
        Assert.Contains(("cdc_pusher_budget_wait_seconds_total", "1.5"), Samples(page));
        Assert.Contains(("cdc_in_flight_bytes", "4096"), Samples(page));
        Assert.EndsWith("# EOF\n", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uptime_and_lag_are_read_from_the_listener_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero));
        var status = ListenerTelemetry.Create(time);
        status.Session.State = "streaming";
        status.Changes.CountTransaction((time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10);
        await using var endpoint = await RunningEndpoint.StartAsync(status);

        time.Advance(TimeSpan.FromSeconds(90));
        var samples = Samples(await endpoint.Http.GetStringAsync("metrics")).ToList();

        Assert.Contains(("cdc_uptime_seconds", "90"), samples);
        Assert.Contains(("cdc_end_to_end_lag_seconds", "90"), samples);
    }

    [Fact]
    public async Task Metrics_page_is_prometheus_text_with_one_group_per_family()
    {
        await using var endpoint = await RunningEndpoint.StartAsync(Busy());

        using var response = await endpoint.Http.GetAsync("metrics");
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(response.Content.Headers.ContentType.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        var families = page.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(families.Count, families.Distinct().Count());
        string? current = null;
        foreach (var line in page.Split('\n', StringSplitOptions.RemoveEmptyEntries))
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
    }

    [Theory]
    [InlineData("streaming", HttpStatusCode.OK, "ok\n", HttpStatusCode.OK, "ready\nJetStream stores\n")]
    [InlineData("standby", HttpStatusCode.OK, "ok\n", HttpStatusCode.ServiceUnavailable, "not ready: standby\n")]
    [InlineData("reconnecting", HttpStatusCode.OK, "ok\n", HttpStatusCode.ServiceUnavailable, "not ready: reconnecting\n")]
    [InlineData("stopped", HttpStatusCode.ServiceUnavailable, "stopped\n", HttpStatusCode.ServiceUnavailable, "not ready: stopped\n")]
    public async Task Health_and_readiness_follow_the_listener_state(string state, HttpStatusCode health, string healthBody, HttpStatusCode ready, string readyBody)
    {
        await using var endpoint = await RunningEndpoint.StartAsync(InState(state));

        using var healthz = await endpoint.Http.GetAsync("healthz");
        using var readyz = await endpoint.Http.GetAsync("readyz");

        Assert.Equal(health, healthz.StatusCode);
        Assert.Equal(healthBody, await healthz.Content.ReadAsStringAsync());
        Assert.Equal(ready, readyz.StatusCode);
        Assert.Equal(readyBody, await readyz.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readiness_fails_with_what_to_change_while_JetStream_refuses_to_store()
    {
        var refusal = "JetStream stream CDC is full (maximum bytes exceeded: it reached its max_bytes with discard new): raise the stream's max_bytes";
        var status = InState("streaming");
        status.Sink.Attach(new FullSink(refusal), pendingAcks: null);
        await using var endpoint = await RunningEndpoint.StartAsync(status);

        using var readyz = await endpoint.Http.GetAsync("readyz");
        using var healthz = await endpoint.Http.GetAsync("healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.Equal("not ready: " + refusal + "\n", await readyz.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode); // held, not broken: no restart
        Assert.Contains("\"publish_refusal\"", await endpoint.Http.GetStringAsync("status"), StringComparison.Ordinal);
    }

    private sealed class FullSink(string refusal) : Cdc.Sink.ISinkHealth
    {
        public bool IsConnected => true;

        public DateTimeOffset? DisconnectedSince => null;

        public string? LastConnectionError => null;

        public string? PublishRefusal => refusal;
    }

    /// <summary>A listener in the middle of work: some changes delivered, some in flight, the slot read.</summary>
    private static ListenerTelemetry InState(string state)
    {
        var telemetry = ListenerTelemetry.Create();
        telemetry.Session.State = state;
        return telemetry;
    }

    private static ListenerTelemetry Busy()
    {
        var status = InState("streaming");
        status.Session.Instance = new InstanceDescription { Slot = "cdc", Database = "shop", Sink = "nats", Stream = "CDC", ProtocolVersion = 4, MaxInFlightBytes = 64 << 20 };
        var inserts = status.Changes.CounterFor("public.items", "insert");
        for (var i = 0; i < 3; i++)
        {
            status.Changes.CountChange(inserts, 100);
        }

        status.Changes.CountChange(status.Changes.CounterFor("public.items", "update"), 50);
        status.Changes.CountTransaction(1_000);
        status.Changes.CountTransaction(2_000);
        status.Source.SetConfirmedFlush(22_000_000);
        status.Delivery.Attach(() => (4096, 3, 1), () => default(LedgerCounters) with { PushWaits = 2, PushWaitTime = TimeSpan.FromMilliseconds(1500) });
        status.Sink.Attach(new ConnectedSink(), () => 7);
        status.Source.SlotState = new SlotState("cdc", Exists: true, Active: true, ActivePid: 42, "0/14FB180", "0/14FB180", "0/14FB6B2", LagBytes: 1234, LagSeconds: null, "reserved", DateTimeOffset.UtcNow);
        status.Source.CountResumeSkippedTransactions(5);
        status.Source.CountResumeSkippedChange();
        status.Source.CountSourceGap();
        var heartbeat = new HeartbeatMonitor(TimeSpan.FromMinutes(1));
        var sent = heartbeat.NowMicros() - 250_000;
        heartbeat.Sent(sent);
        heartbeat.Decoded(endLsn: 100, sent);
        heartbeat.ObserveFlush(100);
        status.Source.Heartbeat = heartbeat;
        return status;
    }

    /// <summary>
    /// The samples of a page as (series, value), optionally only those of one family. A series is written as the old page
    /// wrote it (labels in the order given here, none without braces): label order and an empty <c>{}</c> mean nothing to
    /// Prometheus, so the test compares label sets.
    /// </summary>
    private static IEnumerable<(string Series, string Value)> Samples(string page, string? family = null)
        => page.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('#'))
            .Select(l => (Series: Canonical(l[..l.LastIndexOf(' ')]), Value: l[(l.LastIndexOf(' ') + 1)..]))
            .Where(s => family is null || s.Series == family || s.Series.StartsWith(family + "{", StringComparison.Ordinal));

    private static readonly string[] LabelOrder = ["table", "operation", "state"];

    private static string Canonical(string series)
    {
        var brace = series.IndexOf('{', StringComparison.Ordinal);
        if (brace < 0)
        {
            return series;
        }

        var labels = series[(brace + 1)..^1].Split("\",", StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.EndsWith('"') ? l : l + "\"")
            .OrderBy(l => Array.IndexOf(LabelOrder, l[..l.IndexOf('=', StringComparison.Ordinal)]))
            .ToList();
        return labels.Count == 0 ? series[..brace] : $"{series[..brace]}{{{string.Join(',', labels)}}}";
    }

    private sealed class RunningEndpoint : IAsyncDisposable
    {
        private readonly StatusEndpoint _endpoint;

        private RunningEndpoint(StatusEndpoint endpoint, HttpClient http)
        {
            _endpoint = endpoint;
            Http = http;
        }

        public HttpClient Http { get; }

        public static async Task<RunningEndpoint> StartAsync(ListenerTelemetry status, HttpEndpointOptions? options = null)
        {
            var port = FreePort();
            options ??= new HttpEndpointOptions();
            options.Listen = $"127.0.0.1:{port}";

            // Port 1 refuses at once: the sampler's slot reads fail quietly and the page shows what the status holds.
            var endpoint = new StatusEndpoint(
                Options.Create(options),
                Options.Create(new CdcOptions { Connection = "Host=127.0.0.1;Port=1;Username=cdc;Database=cdc" }),
                status,
                NullLoggerFactory.Instance);
            await endpoint.StartAsync(CancellationToken.None);
            return new RunningEndpoint(endpoint, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") });
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _endpoint.StopAsync(CancellationToken.None);
            await _endpoint.DisposeAsync();
        }
    }

    private sealed class ConnectedSink : ISinkHealth
    {
        public bool IsConnected => true;

        public DateTimeOffset? DisconnectedSince => null;

        public string? LastConnectionError => null;

        public string? PublishRefusal => null;

        public long JetStreamDuplicates => 11;
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
