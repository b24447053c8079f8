using Cdc.Listener.Configuration;
using Cdc.Listener.Pipeline;
using Cdc.Sink;
using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Listener.Cli;

/// <summary>
/// <c>cdc check</c>'s look at NATS: connects as <c>cdc run</c> would, and reads the stream without creating or
/// changing it (<c>cdc run</c> creates a missing stream and updates one whose settings differ).
/// </summary>
internal static class NatsProbe
{
    public static async Task CheckAsync(CdcOptions options, CheckReport report, CancellationToken cancellationToken)
    {
        var n = options.Nats;
        NatsOptions nats;
        JetStreamStreamOptions wanted;
        try
        {
            nats = SinkFactory.NatsOptionsFrom(options, "cdc check") with { MaxReconnectAttempts = 0 };
            wanted = SinkFactory.StreamOptionsFrom(options);
            nats.Validate();
            wanted.Validate();
        }
        catch (SinkConfigurationException e)
        {
            report.Fail("nats", e.Message);
            return;
        }

        await using var connection = NatsOptsFactory.Connect(nats);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(nats.ConnectTimeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or IOException or TimeoutException)
        {
            report.Fail("nats", $"could not connect to any of {UrlRedaction.Redact(n.Url)}: {UrlRedaction.Redact(e.Message)}");
            return;
        }

        report.Ok("nats", $"connected to {UrlRedaction.Redact(n.Url)} (nats-server {connection.ServerInfo?.Version})");
        StreamInfo? stream;
        try
        {
            stream = await StreamSetup.GetStreamAsync(new NatsJSContext(connection), n.Stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or JetStreamException or IOException or TimeoutException)
        {
            report.Fail("stream", $"cannot read stream {n.Stream} (is JetStream enabled on the server?): {e.Message}");
            return;
        }

        var config = stream?.Config is { } existing ? wanted.ApplyTo(existing) : wanted.ToConfig();
        var describe = $"subjects {n.SubjectPrefix}.>, {wanted.Storage.ToString().ToLowerInvariant()} storage, {config.NumReplicas} replica{(config.NumReplicas == 1 ? "" : "s")}, duplicate window {DurationText.Format(config.DuplicateWindow)}";
        if (stream?.Config is not { } actual)
        {
            report.Plan("stream", $"{n.Stream} does not exist: cdc run would create it ({describe})");
            return;
        }

        var differences = StreamConfigDiff.Describe(config, actual);
        if (differences.Count == 0)
        {
            report.Ok("stream", $"{n.Stream} exists with the settings Cdc needs ({describe})");
        }
        else
        {
            report.Plan("stream", $"{n.Stream} exists with other settings: cdc run would update it ({string.Join("; ", differences)})");
        }
    }
}
