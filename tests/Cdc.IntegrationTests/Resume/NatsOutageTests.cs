using Cdc.IntegrationTests.Faults;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Resume;

/// <summary>
/// Exactly once inside one run without JetStream's duplicate window: NATS becomes unreachable for three 1 s windows
/// while transactions are in flight and their PubAcks are lost, and no change is stored twice.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class NatsOutageTests
{
    [Fact]
    public async Task An_outage_longer_than_the_duplicate_window_with_PubAcks_lost_stores_no_change_twice()
    {
        const int Transactions = 600;
        const int RowsPerTransaction = 50;
        await using var env = await FaultEnvironment.StartAsync("nats_outage", "CREATE TABLE t (id int PRIMARY KEY, payload text NOT NULL);");
        await using var proxy = new TcpDropProxy(env.Nats.Port);
        await using var cdc = env.StartCdcThrough(proxy, "--set", "Cdc:Nats:DuplicateWindow=00:00:01");
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        var writing = Task.Run(() => env.WritePacedAsync(Transactions, RowsPerTransaction, TimeSpan.FromMilliseconds(15)));

        // Mid-stream: the PubAcks stop reaching cdc while its publishes are still stored, then NATS is unreachable for
        // three duplicate windows (the server runs on and forgets those ids), then it is back.
        await Task.Delay(TimeSpan.FromSeconds(2)); // the writes take 10 s and more
        Assert.False(writing.IsCompleted, "the writes ended before the fault");
        proxy.BlackholeReplies();
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        proxy.Refusing = true;
        proxy.DropAll();
        await Task.Delay(TimeSpan.FromSeconds(3));
        proxy.Refusing = false;
        await writing.WaitAsync(TimeSpan.FromSeconds(120));

        await env.WaitForSlotAsync(await env.CurrentWalLsnAsync(), TimeSpan.FromSeconds(120), () => cdc.Output);
        var changes = await StreamContents.ReadAllAsync(env.Nats.Url, env.Stream);
        StreamAssertions.ExactlyOnceInCommitOrder(changes, env.Slot, Transactions * RowsPerTransaction);
        Assert.True(cdc.Output.Contains("acknowledged from the stream, not republished", StringComparison.Ordinal),
            "no stored message with a lost PubAck was found: the outage did not test the read-back\n" + cdc.Output);
        Assert.False(cdc.HasExited, cdc.Output);
    }
}
