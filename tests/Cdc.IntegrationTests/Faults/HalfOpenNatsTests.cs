using Cdc.IntegrationTests.Support;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// A half-open NATS connection under a running cdc: mid-stream the path to nats-server goes silent in both directions
/// without a FIN or RST (a hung peer, a firewall dropping packets), so nothing but the client's PINGs can notice. Cdc
/// must see the connection as dead, reconnect, and deliver every change once, in commit order.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class HalfOpenNatsTests
{
    [Fact]
    public async Task A_NATS_connection_black_holed_mid_stream_is_noticed_by_its_pings_reconnected_and_loses_nothing()
    {
        const int Transactions = 300;
        const int RowsPerTransaction = 20;
        await using var env = await FaultEnvironment.StartAsync("half_open", "CREATE TABLE t (id int PRIMARY KEY, payload text NOT NULL);");
        await using var proxy = new TcpDropProxy(env.Nats.Port);
        await using var cdc = env.StartCdcThrough(proxy, "--set", "Cdc:Nats:PingInterval=00:00:02");
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        var writing = Task.Run(() => env.WritePacedAsync(Transactions, RowsPerTransaction, TimeSpan.FromMilliseconds(20)));

        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(writing.IsCompleted, "the writes ended before the fault");
        proxy.Blackhole(); // the open connections go silent; new ones pass
        await writing.WaitAsync(TimeSpan.FromSeconds(120));

        // Two missed PINGs at 2 s: well inside the wait. At the default 30 s interval the silence lasts 60-90 s, longer
        // than this wait; without PINGs the connection would hang forever.
        await env.WaitForSlotAsync(await env.CurrentWalLsnAsync(), TimeSpan.FromSeconds(30), () => cdc.Output);
        Assert.Contains("Lost the connection to NATS", cdc.Output, StringComparison.Ordinal);
        var changes = await StreamContents.ReadAllAsync(env.Nats.Url, env.Stream);
        StreamAssertions.ExactlyOnceInCommitOrder(changes, env.Slot, Transactions * RowsPerTransaction);
        Assert.False(cdc.HasExited, cdc.Output);
    }
}
