using System.Diagnostics;
using Cdc.IntegrationTests.Faults;
using Cdc.Listener;
using Cdc.Listener.Replication;
using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Wire;

/// <summary>What the server refuses on a replication connection, how the stream ends, and a server that goes silent.</summary>
[Collection(WireServerCollection.Name)]
public sealed class WireStreamTests(WireServerFixture fixture)
{
    [Fact]
    public async Task Missing_slot_is_42704_and_the_connection_stays_usable()
    {
        var slot = await WireSlot.CreateAsync(fixture.Server, "missing_slot");
        try
        {
            await using var connection = await WireSlot.OpenAsync(fixture.ConnectionString("postgres"));

            var e = await Assert.ThrowsAsync<PostgresException>(
                () => connection.StartLogicalReplicationAsync("no_such_slot", 0, slot.Options()));

            Assert.Equal("42704", e.SqlState);
            Assert.IsType<ReplicationSetupException>(ReplicationErrors.Classify(e, "no_such_slot", slot.Publication));

            // The refusal was read up to ReadyForQuery: the same connection can start on a slot that exists.
            await slot.StreamOneInsertAsync(connection);
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task Slot_active_in_another_connection_is_55006_naming_its_pid()
    {
        var slot = await WireSlot.CreateAsync(fixture.Server, "busy_slot");
        try
        {
            await using var first = await WireSlot.OpenAsync(fixture.ConnectionString("postgres", applicationName: "wire_busy_first"));
            await slot.StartAsync(first);
            await using var second = await WireSlot.OpenAsync(fixture.ConnectionString("postgres", applicationName: "wire_busy_second"));

            var e = await Assert.ThrowsAsync<PostgresException>(() => slot.StartAsync(second));

            Assert.Equal("55006", e.SqlState);
            var activePid = await fixture.Server.ScalarAsync<int>($"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{slot.Name}'");
            var busy = Assert.IsType<SlotBusyException>(ReplicationErrors.Classify(e, slot.Name, slot.Publication));
            Assert.Equal(activePid, busy.ActivePid);
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task Missing_publication_is_42704_on_the_first_change()
    {
        var slot = await WireSlot.CreateAsync(fixture.Server, "missing_pub");
        try
        {
            await using var connection = await WireSlot.OpenAsync(fixture.ConnectionString("postgres"));

            // pgoutput looks the publication up when it decodes a change, so START_REPLICATION itself succeeds.
            await slot.StartAsync(connection, publication: "no_such_publication");
            await slot.InsertAsync(1);
            var e = await Assert.ThrowsAsync<PostgresException>(() => WireSlot.ReadTransactionAsync(connection));

            Assert.Equal("42704", e.SqlState);
            var classified = Assert.IsType<ReplicationSetupException>(ReplicationErrors.Classify(e, slot.Name, "no_such_publication"));
            Assert.Contains("publication 'no_such_publication' does not exist", classified.Message, StringComparison.Ordinal);
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task Status_update_sent_just_before_a_graceful_end_is_what_the_slot_keeps()
    {
        var slot = await WireSlot.CreateAsync(fixture.Server, "graceful_end");
        try
        {
            ulong commitEnd;
            await using (var connection = await WireSlot.OpenAsync(fixture.ConnectionString("postgres", applicationName: "wire_graceful")))
            {
                await slot.StartAsync(connection);
                await slot.InsertAsync(1);
                (_, commitEnd) = await WireSlot.ReadTransactionAsync(connection);
                Assert.True(await slot.ConfirmedFlushAsync() < commitEnd);

                await connection.SendStatusUpdateAsync(commitEnd);
                using var end = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await connection.EndReplicationAsync(end.Token);
            }

            // The walsender read the update before the CopyDone behind it: once the slot is released it shows it, no waiting for it.
            await WaitInactiveAsync(slot);
            Assert.Equal(commitEnd, await slot.ConfirmedFlushAsync());
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    [Fact]
    public async Task Silent_server_fails_the_read_with_a_timeout_after_the_receiver_timeout()
    {
        await using var proxy = new TcpDropProxy(fixture.Server.Port);
        var builder = new NpgsqlConnectionStringBuilder(fixture.ConnectionString("postgres")) { Port = proxy.Port };
        var slot = await WireSlot.CreateAsync(fixture.Server, "receiver_timeout");
        try
        {
            await using var connection = await WireSlot.OpenAsync(builder.ConnectionString, receiverTimeout: TimeSpan.FromSeconds(2));
            await slot.StartAsync(connection);
            await slot.InsertAsync(1);
            Assert.Equal("BRIC", (await WireSlot.ReadTransactionAsync(connection)).Codes);

            proxy.Blackhole();
            var clock = Stopwatch.StartNew();
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var e = await Assert.ThrowsAsync<TimeoutException>(async () => await connection.MoveNextAsync(guard.Token));

            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(5));
            Assert.Contains("sent nothing for 2 s", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await slot.DropAsync();
        }
    }

    private static async Task WaitInactiveAsync(WireSlot slot)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (await slot.Server.ScalarAsync<bool>($"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot.Name}'"))
        {
            Assert.True(DateTime.UtcNow < deadline, $"slot {slot.Name} still active 15 s after the connection ended");
            await Task.Delay(20);
        }
    }
}
