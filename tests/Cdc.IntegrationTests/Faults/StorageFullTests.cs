using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Cdc.IntegrationTests.Faults;

/// <summary>
/// JetStream without room for another message (the server's storage used up, or a stream at its max_bytes with
/// discard new): Cdc holds every change (the slot does not advance), says once what to change, turns /readyz and
/// <c>cdc status</c> red, and once there is room delivers everything committed meanwhile, once each and in commit order.
/// Before, such a refusal was retried four times a second with a generic warning each time, and nothing but the log said
/// why nothing arrived.
/// </summary>
public sealed class StorageFullTests
{
    private const int Transactions = HeldRun.Transactions;

    [Fact]
    public async Task A_JetStream_server_out_of_storage_holds_every_change_until_it_has_room_then_delivers_each_once_in_order()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        nats.JetStreamLimits = "max_file_store: 131072"; // room for about 200 of the 2,000 changes
        await nats.RestartAsync();
        await using var run = await HeldRun.StartAsync(pg, nats.Url, "jsfull");

        await run.CommitAsync(0, Transactions);
        await run.AssertHeldAsync("max_file_store", "raise");

        // The operator raises the server's limit and restarts it: everything held arrives.
        nats.JetStreamLimits = "max_file_store: 268435456";
        await nats.RestartAsync();
        await run.AssertDeliveredOnceInOrderAsync();
    }

    [Fact]
    public async Task A_stream_at_max_bytes_with_discard_new_holds_every_change_until_it_has_room_then_delivers_each_once_in_order()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await using var run = await HeldRun.StartAsync(pg, nats.Url, "streamfull");

        // A first part arrives; then the operator caps the stream just above what it holds, refusing what comes next.
        await run.CommitAsync(0, 5);
        await SlotPosition.WaitForConfirmedAsync(pg, run.Slot, await SlotPosition.CurrentWalLsnAsync(pg, run.Slot), TimeSpan.FromSeconds(60), run.Slot, () => run.Cdc.Output);
        await using (var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Url }))
        {
            var js = new NatsJSContext(connection);
            var stream = await js.GetStreamAsync(run.Stream);
            await js.UpdateStreamAsync(stream.Info.Config with { MaxBytes = (long)stream.Info.State.Bytes + 16_384, Discard = NATS.Client.JetStream.Models.StreamConfigDiscard.New });
        }

        await run.CommitAsync(5, Transactions);
        await run.AssertHeldAsync("max_bytes", "raise");

        // The operator lifts the cap while Cdc runs: everything held arrives.
        await using (var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Url }))
        {
            var js = new NatsJSContext(connection);
            var stream = await js.GetStreamAsync(run.Stream);
            await js.UpdateStreamAsync(stream.Info.Config with { MaxBytes = -1 });
        }

        await run.AssertDeliveredOnceInOrderAsync();
    }
}
