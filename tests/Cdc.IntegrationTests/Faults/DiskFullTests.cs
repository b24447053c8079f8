using Cdc.IntegrationTests.Support;
using Cdc.Testing;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// A real full disk (ENOSPC) under nats-server's store directory, not a JetStream limit: the server in a container
/// with a 16 MiB tmpfs as its store, filled by another file while Cdc runs. nats-server 2.9.10 then stops answering
/// (its file store deadlocks on the failed write: no PubAck, no JetStream API answer, no log line, SIGTERM ignored),
/// and only a restart after space is freed brings the stream back. Cdc holds every change (the slot does not advance),
/// says once that JetStream stopped answering and that a full store disk is the likely cause, turns /readyz and
/// <c>cdc status</c> red, and after the operator frees space and restarts nats-server delivers every change once, in
/// commit order.
/// </summary>
public sealed class DiskFullTests
{
    [Fact]
    public async Task A_full_disk_under_the_NATS_store_holds_every_change_names_the_disk_and_after_a_restart_delivers_each_once_in_order()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await SmallDiskNatsServer.StartAsync(diskMegabytes: 16);
        await using var run = await HeldRun.StartAsync(pg, nats.Url, "diskfull", "--set", "Cdc:Nats:RefusalRetryTime=00:00:10");

        await run.CommitAsync(0, 5);
        await SlotPosition.WaitForConfirmedAsync(pg, run.Slot, await SlotPosition.CurrentWalLsnAsync(pg, run.Slot), TimeSpan.FromSeconds(60), run.Slot, () => run.Cdc.Output);

        await nats.FillDiskAsync();
        await run.CommitAsync(5, HeldRun.Transactions);
        await run.AssertHeldAsync("disk", "restart nats-server", streamReadable: false);

        // The operator frees space and restarts nats-server (kill -9: the stuck server ignores SIGTERM).
        await nats.FreeDiskAsync();
        await nats.KillServerAsync();
        await run.AssertDeliveredOnceInOrderAsync();
    }
}
