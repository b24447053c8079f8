using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Wire;

/// <summary>
/// With the default wal_sender_timeout (60 s) and our status updates arriving every second, an idle walsender sends
/// nothing at all: the connection must ask it for a reply before its own receiver timeout, or it would drop a
/// healthy session on every quiet spell.
/// </summary>
public sealed class WireIdleTests : IAsyncLifetime
{
    private PostgresServer _server = null!;

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_idle_database_does_not_trip_the_receiver_timeout()
    {
        var slot = await WireSlot.CreateAsync(_server, "idle_reader");
        var connectionString = new NpgsqlConnectionStringBuilder(_server.ConnectionString()) { ApplicationName = "wire_idle", SslMode = SslMode.Disable }.ConnectionString;
        await using var connection = await WireSlot.OpenAsync(connectionString, statusInterval: TimeSpan.FromSeconds(1), receiverTimeout: TimeSpan.FromSeconds(3));
        await slot.StartAsync(connection);
        var pid = await _server.ScalarAsync<int>("SELECT pid FROM pg_stat_replication WHERE application_name = 'wire_idle'");

        // Waits for a transaction through three receiver timeouts of silence from the database.
        var reader = WireSlot.ReadTransactionAsync(connection, timeout: TimeSpan.FromSeconds(60));
        var idleUntil = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < idleUntil)
        {
            if (reader.IsFaulted)
            {
                await reader; // surfaces the TimeoutException
            }

            Assert.False(reader.IsCompleted, "the reader ended while the database was idle");
            await Task.Delay(250);
        }

        await slot.InsertAsync(1);
        Assert.Equal("BRIC", (await reader).Codes);
        Assert.Equal(pid, await _server.ScalarAsync<int>("SELECT pid FROM pg_stat_replication WHERE application_name = 'wire_idle'"));
        await slot.DropAsync();
    }
}
