using System.Net.Sockets;
using System.Net;
using System.Text.Json;
using System.Text;
using Cdc.Listener.Cli;
using Cdc.Listener.Configuration;
using Cdc.Listener.Http;
using Cdc.Listener.Telemetry;

namespace Cdc.Listener.Tests.Hosting;

/// <summary>Passwords and tokens in URLs never reach <c>/status</c>, <c>cdc status</c> (screen or JSON) or the logs.</summary>
public sealed class StatusRedactionTests
{
    [Theory]
    [InlineData("nats://alice:s3cret@nats.internal:4222", "nats://alice:***@nats.internal:4222")]
    [InlineData("nats://T0KEN@nats.internal:4222", "nats://***@nats.internal:4222")]
    [InlineData("tls://alice:p@ss@h:4222/", "tls://alice:***@h:4222/")]
    [InlineData("nats://a:one@h1:4222,nats://b:two@h2:4222", "nats://a:***@h1:4222,nats://b:***@h2:4222")]
    [InlineData("could not connect to nats://a:one@h1:4222: refused", "could not connect to nats://a:***@h1:4222: refused")]
    [InlineData("http://127.0.0.1:8080/status", "http://127.0.0.1:8080/status")]
    [InlineData("nats://h:4222 is down; mail ops@example.com", "nats://h:4222 is down; mail ops@example.com")]
    public void Url_secrets_are_masked_and_everything_else_is_kept(string text, string shown)
        => Assert.Equal(shown, UrlRedaction.Redact(text));

    [Fact]
    public void The_status_document_shows_no_nats_password_or_token()
    {
        var telemetry = ListenerTelemetry.Create();
        telemetry.Session.Instance = new InstanceDescription { SinkServer = "nats://alice:s3cret@h1:4222,nats://T0KEN@h2:4222" };
        telemetry.Session.CountError("Lost nats://alice:s3cret@h1:4222: connection reset");

        var json = JsonSerializer.Serialize(StatusDocumentBuilder.Build(telemetry, new ChangeRate(), DateTimeOffset.UtcNow), StatusJsonContext.Default.StatusDocument);

        Assert.DoesNotContain("s3cret", json, StringComparison.Ordinal);
        Assert.DoesNotContain("T0KEN", json, StringComparison.Ordinal);
        Assert.Contains("nats://alice:***@h1:4222,nats://***@h2:4222", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cdc_status_masks_secrets_even_when_the_sidecar_sends_them()
    {
        // A sidecar of an older version puts the URL in /status as configured.
        var document = StatusDocumentBuilder.Build(Streaming(), new ChangeRate(), DateTimeOffset.UtcNow);
        document = document with { Sink = document.Sink with { Server = "nats://alice:s3cret@h1:4222", LastError = "nats://T0KEN@h2:4222 refused" } };
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(document, StatusJsonContext.Default.StatusDocument));
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var serve = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        });

        using var collector = new StatusCollector(new Uri($"http://monitor:m0nitor@127.0.0.1:{port}/"), null, null, "cdc", "cdc", new StatusThresholds(TimeSpan.FromMinutes(1), 1 << 30));
        var report = await collector.CollectAsync();
        await serve.WaitAsync(TimeSpan.FromSeconds(10));

        var json = JsonSerializer.Serialize(report, StatusReportJsonContext.Default.StatusReport);
        Assert.True(report.Sidecar.Running);
        Assert.Equal("nats://alice:***@h1:4222", report.Sidecar.Status!.Sink.Server);
        foreach (var secret in new[] { "s3cret", "T0KEN", "m0nitor" })
        {
            Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private static ListenerTelemetry Streaming()
    {
        var telemetry = ListenerTelemetry.Create();
        telemetry.Session.State = "streaming";
        return telemetry;
    }
}
