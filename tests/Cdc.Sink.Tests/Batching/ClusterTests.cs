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
        var nodes = await StartClusterAsync();
        try
        {
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

    /// <summary>
    /// Issue 17 item 4: the R3 stream's leader is killed while the writer, connected to another node, has thousands of
    /// publishes of three interleaved tables in flight. Publishes caught by the leader change are refused (503, no
    /// responders) or time out while later ones may be stored by the new leader; the writer must still store each
    /// table's messages in the order written, every message once.
    /// </summary>
    [Fact]
    public async Task Killing_the_stream_leader_of_an_R3_stream_under_load_keeps_each_tables_order_and_stores_every_message_once()
    {
        string[] tables = ["orders", "items", "users"];
        const int total = 30_000;
        var nodes = await StartClusterAsync();
        try
        {
            var stream = new JetStreamStreamOptions { Name = "CDC", Subjects = ["cdc.>"], Replicas = 3 };
            var leader = await CreateStreamAndFindLeaderAsync(nodes[0].Url, stream);
            var victim = nodes.Single(n => NodeName(n, nodes) == leader);
            var connectedTo = nodes.First(n => n != victim);

            var acks = new RecordingAckHandler();
            var nats = new NatsOptions { Urls = [connectedTo.Url], ReconnectWaitMin = TimeSpan.FromMilliseconds(50), ReconnectWaitMax = TimeSpan.FromSeconds(1) };
            await using var writer = new StreamingBatchWriter(nats, stream, new BatchWriterOptions { MaxRows = 200, MaxPendingAcks = 20_000, AckTimeout = TimeSpan.FromSeconds(10) }, acks);
            await StartWhenClusterIsReadyAsync(writer);
            var producer = Task.Run(async () =>
            {
                // Paced, with room for thousands in flight: publishing goes on while the stream elects a new leader and
                // the publishes the old one took wait for PubAcks that never come.
                for (var i = 0; i < total; i++)
                {
                    await writer.WriteAsync(Messages.Row(tables[i % tables.Length], i, payloadBytes: 100));
                    if (i % 50 == 49)
                    {
                        await Task.Delay(1);
                    }
                }
            });
            await Eventually.UntilAsync(() => acks.Reported >= 3_000, TimeSpan.FromMinutes(2), "3,000 acks before the kill", producer);
            var reportedAtKill = acks.Reported;
            await victim.KillAsync();
            await producer.WaitAsync(TimeSpan.FromSeconds(120));
            await writer.DrainAsync().WaitAsync(TimeSpan.FromSeconds(120));

            var newLeader = await CreateStreamAndFindLeaderAsync(connectedTo.Url, stream);
            var stored = await StreamContentsReader.ReadAllAsync(connectedTo.Url, "CDC", total + 1);
            Assert.True(reportedAtKill < total, "the leader was killed after the last ack");
            Assert.NotEqual(leader, newLeader);
            Assert.Equal(NodeName(connectedTo, nodes), writer.Connection.ServerInfo?.Name);
            Assert.Equal(total, acks.Acked.Count);
            Assert.Empty(acks.Failed);
            Assert.Equal(0, acks.DoubleReports);
            Assert.Equal(total, stored.Count);
            Assert.Equal(total, stored.Select(m => m.Header("Nats-Msg-Id")).Distinct().Count());
            for (var t = 0; t < tables.Length; t++)
            {
                var table = tables[t];
                var expected = Enumerable.Range(0, total).Where(i => i % tables.Length == t).Select(i => $"slot:{table}:{i:D8}");
                Assert.Equal(expected, stored.Where(m => m.Header("Cdc-Table") == table).Select(m => m.Header("Nats-Msg-Id")));
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>Three nats-server processes with JetStream, routed to each other, named n0..n2.</summary>
    private static async Task<List<NatsServer>> StartClusterAsync()
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

            return nodes;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    private static string NodeName(NatsServer node, List<NatsServer> nodes) => $"n{nodes.IndexOf(node)}";

    /// <summary>Creates the stream (or finds the identical one) once the cluster has a meta leader, and waits for the stream's own leader.</summary>
    private static async Task<string> CreateStreamAndFindLeaderAsync(string url, JetStreamStreamOptions stream)
    {
        await using var admin = new NatsConnection(NatsOpts.Default with { Url = url });
        var js = new NATS.Client.JetStream.NatsJSContext(admin);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (true)
        {
            try
            {
                var info = await js.CreateOrUpdateStreamAsync(stream.ToConfig());
                if (info.Info.Cluster?.Leader is { Length: > 0 } leader)
                {
                    return leader;
                }
            }
            catch (Exception e) when (e is NATS.Client.JetStream.NatsJSException or NatsException && DateTime.UtcNow < deadline)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, "the stream got no leader in 45 s");
            await Task.Delay(500);
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
