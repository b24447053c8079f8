using System.Net.Sockets;
using System.Security.Authentication;
using Cdc.Listener.Configuration;
using Cdc.Sink;
using Cdc.Sink.JetStream;
using Cdc.Sink.Nats;

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
        var urls = n.Url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var nats = new NatsOptions
        {
            Urls = urls,
            Name = "cdc check",
            User = n.User,
            Password = n.Password,
            Token = n.Token,
            TlsCaFile = n.TlsCaFile,
            TlsCertFile = n.TlsCertFile,
            TlsKeyFile = n.TlsKeyFile,
            MaxReconnectAttempts = 0,
        };
        await using var connection = new NatsConnection(nats);
        try
        {
            await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SinkException or IOException or SocketException or TimeoutException or AuthenticationException)
        {
            report.Fail("nats", e.Message);
            return;
        }

        report.Ok("nats", $"connected to {connection.ConnectedServer} (nats-server {connection.ServerInfo?.Version})");
        var wanted = new JetStreamStreamOptions
        {
            Name = n.Stream,
            Subjects = [n.SubjectPrefix + ".>"],
            Storage = string.Equals(n.Storage, "memory", StringComparison.OrdinalIgnoreCase) ? StreamStorage.Memory : StreamStorage.File,
            Replicas = n.Replicas,
            DuplicateWindow = n.DuplicateWindow,
        };
        StreamInfo? stream;
        try
        {
            stream = await new JetStreamContext(connection).GetStreamAsync(n.Stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SinkException or IOException or TimeoutException)
        {
            report.Fail("stream", $"cannot read stream {n.Stream} (is JetStream enabled on the server?): {e.Message}");
            return;
        }

        var describe = $"subjects {n.SubjectPrefix}.>, {wanted.Storage.ToString().ToLowerInvariant()} storage, {n.Replicas} replica{(n.Replicas == 1 ? "" : "s")}, duplicate window {DurationText.Format(n.DuplicateWindow)}";
        if (stream?.Config is null)
        {
            report.Plan("stream", $"{n.Stream} does not exist: cdc run would create it ({describe})");
            return;
        }

        var differences = Differences(wanted.ToConfig(), stream.Config);
        if (differences.Count == 0)
        {
            report.Ok("stream", $"{n.Stream} exists with the settings Cdc needs ({describe})");
        }
        else
        {
            report.Plan("stream", $"{n.Stream} exists with other settings: cdc run would update it ({string.Join("; ", differences)})");
        }
    }

    /// <summary>The settings Cdc sets on its stream in which the existing one differs.</summary>
    private static List<string> Differences(StreamConfig wanted, StreamConfig actual)
    {
        var differences = new List<string>();
        if (!wanted.Subjects.Order(StringComparer.Ordinal).SequenceEqual(actual.Subjects.Order(StringComparer.Ordinal)))
        {
            differences.Add($"subjects [{string.Join(",", actual.Subjects)}] instead of [{string.Join(",", wanted.Subjects)}]");
        }

        if (wanted.Storage != actual.Storage)
        {
            differences.Add($"storage {actual.Storage} instead of {wanted.Storage}");
        }

        if (wanted.NumReplicas != actual.NumReplicas)
        {
            differences.Add($"replicas {actual.NumReplicas} instead of {wanted.NumReplicas}");
        }

        if (wanted.DuplicateWindow != actual.DuplicateWindow)
        {
            differences.Add($"duplicate window {actual.DuplicateWindow} instead of {wanted.DuplicateWindow}");
        }

        return differences;
    }
}
