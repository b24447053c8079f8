using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Cdc.Sink.Tests.Support;
using Cdc.Testing;
using NATS.Client.Core;

namespace Cdc.Sink.Tests.Batching;

public sealed class ClusterTests
{
    [Fact]
    public async Task Killing_the_connected_node_of_a_three_node_cluster_mid_stream_loses_nothing()
    {
        var clientPorts = new[] { FreePort.Next(), FreePort.Next(), FreePort.Next() };
        var clusterPorts = new[] { FreePort.Next(), FreePort.Next(), FreePort.Next() };
        var nodes = new List<NatsServer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var routes = string.Join(", ", clusterPorts.Where((_, j) => j != i).Select(p => $"nats://127.0.0.1:{p}"));
                nodes.Add(await NatsServer.StartAsync(
                    $"server_name: n{i}\ncluster {{ name: cdc, listen: 127.0.0.1:{clusterPorts[i]}, routes: [{routes}] }}",
                    port: clientPorts[i]));
            }

            var acks = new RecordingAckHandler();
            var nats = new NatsOptions { Urls = [nodes[0].Url], ReconnectWaitMin = TimeSpan.FromMilliseconds(50), ReconnectWaitMax = TimeSpan.FromSeconds(1) };
            var stream = new JetStreamStreamOptions { Name = "CDC", Subjects = ["cdc.>"], Replicas = 3 };
            await using var writer = new StreamingBatchWriter(nats, stream, new BatchWriterOptions { MaxRows = 50, MaxPendingAcks = 500, AckTimeout = TimeSpan.FromSeconds(3) }, acks);
            await StartWhenClusterIsReadyAsync(writer);
            var info = await writer.JetStream.GetStreamAsync("CDC");
            Assert.Equal(3, info.Info.Config.NumReplicas);
            Assert.True(writer.Connection.ServerInfo?.ClientConnectUrls?.Length >= 2, "the cluster members were not announced");

            const int total = 10_000;
            var producer = Task.Run(async () =>
            {
                for (var i = 0; i < total; i++)
                {
                    await writer.WriteAsync(Messages.Row("t", i, payloadBytes: 100));
                }
            });
            await Eventually.UntilAsync(() => acks.Reported >= 1000, TimeSpan.FromMinutes(2), "1,000 acks before the kill", producer);

            var connected = writer.Connection.ServerInfo!.Name;
            var victim = nodes[int.Parse(connected[1..], System.Globalization.CultureInfo.InvariantCulture)];
            await victim.KillAsync();
            await producer.WaitAsync(TimeSpan.FromSeconds(90));
            await writer.DrainAsync().WaitAsync(TimeSpan.FromSeconds(90));
            var stored = await StreamContentsReader.ReadAllAsync(nodes.First(n => n != victim).Url, "CDC", total);

            Assert.NotEqual(connected, writer.Connection.ServerInfo?.Name);
            Assert.Equal(total, acks.Acked.Count);
            Assert.Empty(acks.Failed);
            Assert.Equal(0, acks.DoubleReports);
            Assert.Equal(Enumerable.Range(0, total).Select(i => $"slot:t:{i:D8}"), stored.Select(m => m.Header("Nats-Msg-Id")));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>A fresh cluster elects its JetStream meta leader after a few seconds: stream creation waits for it.</summary>
    private static async Task StartWhenClusterIsReadyAsync(StreamingBatchWriter writer)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (true)
        {
            try
            {
                await writer.StartAsync();
                return;
            }
            catch (Exception e) when (e is JetStreamException or NatsException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }
}
