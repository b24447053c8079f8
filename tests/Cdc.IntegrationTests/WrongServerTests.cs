using Cdc.IntegrationTests.Support;
using Cdc.Sink.JetStream;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Cdc.Testing;

namespace Cdc.IntegrationTests;

/// <summary>
/// Only our stream may acknowledge a change: a JetStream server that takes over the configured address
/// with another stream on the same subjects must not move the slot.
/// </summary>
public sealed class WrongServerTests
{
    [Fact]
    public async Task A_different_JetStream_server_at_the_configured_address_cannot_acknowledge_changes()
    {
        await using var pg = await PostgresServer.StartAsync();
        await pg.ExecuteAsync("CREATE TABLE t (id int PRIMARY KEY)");
        var ours = await NatsServer.StartAsync();
        await using (ours)
        {
            await using var cdc = CdcProcess.Start(["run", "--connection", pg.ConnectionString(), "--nats", ours.Url, "--stream", "OURS", "--http", "off"]);
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            await pg.ExecuteAsync("INSERT INTO t VALUES (1)");
            Assert.Single(await StreamContents.WaitForAsync(ours.Url, "OURS", 1, TimeSpan.FromSeconds(30)));
            await SlotPosition.WaitForConfirmedAsync(pg, "cdc", await SlotPosition.CurrentWalLsnAsync(pg), TimeSpan.FromSeconds(30));
            var confirmed = await SlotPosition.ConfirmedFlushLsnAsync(pg, "cdc");

            // Our server goes away and another one, with its own stream on the same subjects, appears at its address.
            await ours.KillAsync();
            await using var foreign = await NatsServer.StartAsync(port: ours.Port);
            await using (var connection = new NatsConnection(NatsOpts.Default with { Url = foreign.Url }))
            {
                await StreamSetup.EnsureStreamAsync(new NatsJSContext(connection), new JetStreamStreamOptions { Name = "FOREIGN", Subjects = ["cdc.>"] });
            }

            await pg.ExecuteAsync("INSERT INTO t VALUES (2)");

            // cdc reaches the foreign server, which refuses the change: cdc stops with the reason instead of confirming.
            Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(90)), $"cdc kept running:\n{cdc.Output}");
            Assert.Equal(1, cdc.ExitCode);
            Assert.Contains("expected stream", cdc.Output, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(confirmed, await SlotPosition.ConfirmedFlushLsnAsync(pg, "cdc"));
            Assert.Empty(await StreamContents.ReadAllAsync(foreign.Url, "FOREIGN"));
        }
    }
}
