using Cdc.IntegrationTests.Support;
using Cdc.Sink.JetStream;
using Cdc.Sink.Nats;
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
            await WaitForSlotAsync(pg, await pg.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text"));
            var confirmed = await pg.ScalarAsync<string>("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'cdc'");

            // Our server goes away and another one, with its own stream on the same subjects, appears at its address.
            await ours.KillAsync();
            await using var foreign = await NatsServer.StartAsync(port: ours.Port);
            await using (var connection = new NatsConnection(new NatsOptions { Urls = [foreign.Url] }))
            {
                await connection.ConnectAsync();
                await new JetStreamContext(connection).EnsureStreamAsync(new JetStreamStreamOptions { Name = "FOREIGN", Subjects = ["cdc.>"] });
            }

            await pg.ExecuteAsync("INSERT INTO t VALUES (2)");
            await Task.Delay(TimeSpan.FromSeconds(5));

            Assert.Equal(confirmed, await pg.ScalarAsync<string>("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'cdc'"));
            Assert.Empty(await StreamContents.ReadAllAsync(foreign.Url, "FOREIGN"));
        }
    }

    private static async Task WaitForSlotAsync(PostgresServer pg, string? lsn)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline
               && !await pg.ScalarAsync<bool>($"SELECT confirmed_flush_lsn >= '{lsn}'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'cdc'"))
        {
            await Task.Delay(100);
        }
    }
}
