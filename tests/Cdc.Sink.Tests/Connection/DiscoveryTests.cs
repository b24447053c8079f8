using Cdc.Sink.Connection;
using Cdc.Testing;
using NATS.Client.Core;

namespace Cdc.Sink.Tests.Connection;

public sealed class DiscoveryTests
{
    [Fact]
    public async Task Seeds_only_sends_an_announced_server_to_a_seed_and_leaves_seeds_alone()
    {
        var seedsOnly = new SeedsOnly(["nats://127.0.0.1:4222", "tls://10.0.0.2:4333"]);

        Assert.Equal(("127.0.0.1", 4222), await seedsOnly.RedirectAsync(("127.0.0.1", 4222)));
        Assert.Equal(("10.0.0.2", 4333), await seedsOnly.RedirectAsync(("10.0.0.2", 4333)));
        Assert.Contains(await seedsOnly.RedirectAsync(("10.9.9.9", 4222)), new[] { ("127.0.0.1", 4222), ("10.0.0.2", 4333) });
    }

    [Fact]
    public async Task With_discovery_the_client_moves_to_an_announced_member_and_without_it_stays_with_its_seed()
    {
        var clientPorts = new[] { FreePort.Next(), FreePort.Next() };
        var clusterPorts = new[] { FreePort.Next(), FreePort.Next() };
        await using var n0 = await NatsServer.StartAsync($"server_name: n0\ncluster {{ name: c, listen: 127.0.0.1:{clusterPorts[0]}, routes: [nats://127.0.0.1:{clusterPorts[1]}] }}", port: clientPorts[0]);
        await using var n1 = await NatsServer.StartAsync($"server_name: n1\ncluster {{ name: c, listen: 127.0.0.1:{clusterPorts[1]}, routes: [nats://127.0.0.1:{clusterPorts[0]}] }}", port: clientPorts[1]);
        var options = new NatsOptions { Urls = [n0.Url], ReconnectWaitMin = TimeSpan.FromMilliseconds(50), ReconnectWaitMax = TimeSpan.FromMilliseconds(200) };
        await using var discovering = NatsOptsFactory.Connect(options);
        await using var seedOnly = NatsOptsFactory.Connect(options with { DiscoverServers = false });
        await discovering.ConnectAsync();
        await seedOnly.ConnectAsync();
        await Eventually.UntilAsync(() => discovering.ServerInfo?.ClientConnectUrls?.Length > 0 && seedOnly.ServerInfo?.ClientConnectUrls?.Length > 0, TimeSpan.FromSeconds(20), "n1 announced to both clients");

        await n0.KillAsync();
        await Eventually.UntilAsync(() => discovering.ConnectionState == NatsConnectionState.Open && discovering.ServerInfo?.Name == "n1", TimeSpan.FromSeconds(20), "the discovering client on n1");
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.NotEqual(NatsConnectionState.Open, seedOnly.ConnectionState);
        await n0.StartExistingAsync();
        await Eventually.UntilAsync(() => seedOnly.ConnectionState == NatsConnectionState.Open, TimeSpan.FromSeconds(20), "the seed-only client back on n0");
        Assert.Equal("n0", seedOnly.ServerInfo?.Name);
    }
}
