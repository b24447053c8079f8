using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Wire;

/// <summary>
/// A server with wal_sender_timeout = 2 s ends a walsender that does not answer within 2 s: the connection must
/// answer the server's keepalive requests while it reads, and send status updates on its own while its consumer
/// does not read.
/// </summary>
public sealed class WireKeepaliveTests : IAsyncLifetime
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(10);
    private PostgresServer _server = null!;

    public async Task InitializeAsync()
        => _server = await PostgresServer.StartAsync(new Dictionary<string, string> { ["wal_sender_timeout"] = "'2s'" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Reader_on_an_idle_database_answers_keepalive_requests_and_stays_connected()
    {
        var slot = await WireSlot.CreateAsync(_server, "keepalive_reader");
        await using var connection = await WireSlot.OpenAsync(ConnectionString("wire_ka_reader"), statusInterval: TimeSpan.FromSeconds(30));
        await slot.StartAsync(connection);
        var pid = await WalsenderPidAsync("wire_ka_reader");

        // Reads (waits for the server) the whole time; its only replies are answers to the server's keepalive requests.
        var reader = WireSlot.ReadTransactionAsync(connection, timeout: Idle + TimeSpan.FromSeconds(30));
        var firstReply = await WaitReplyAsync("wire_ka_reader", after: DateTime.MinValue, reader);
        await StaysConnectedAsync("wire_ka_reader", pid, reader);

        // The status interval (30 s) has not come round, so a later reply time is an answered keepalive request.
        var lastReply = await WaitReplyAsync("wire_ka_reader", after: firstReply, reader);
        Assert.True(lastReply - firstReply >= Idle - TimeSpan.FromSeconds(3), $"replies from {firstReply:O} to {lastReply:O} only");
        await slot.InsertAsync(1);
        Assert.Equal("BRIC", (await reader).Codes);
        await slot.DropAsync();
    }

    [Fact]
    public async Task Consumer_that_does_not_read_is_kept_connected_by_periodic_status_updates()
    {
        var slot = await WireSlot.CreateAsync(_server, "keepalive_backpressure");
        await using var connection = await WireSlot.OpenAsync(ConnectionString("wire_ka_held"), statusInterval: TimeSpan.FromMilliseconds(500));
        await slot.StartAsync(connection);
        var pid = await WalsenderPidAsync("wire_ka_held");

        // Nobody calls MoveNextAsync (a sink holding the reader back): the keepalive requests go unread.
        await StaysConnectedAsync("wire_ka_held", pid, worker: null);

        await slot.InsertAsync(1);
        Assert.Equal("BRIC", (await WireSlot.ReadTransactionAsync(connection)).Codes);
        Assert.Equal(pid, await WalsenderPidAsync("wire_ka_held"));
        await slot.DropAsync();
    }

    private string ConnectionString(string applicationName)
        => new NpgsqlConnectionStringBuilder(_server.ConnectionString()) { ApplicationName = applicationName, SslMode = SslMode.Disable }.ConnectionString;

    private async Task<int> WalsenderPidAsync(string applicationName)
        => await _server.ScalarAsync<int>($"SELECT pid FROM pg_stat_replication WHERE application_name = '{applicationName}'");

    /// <summary>Checks for <see cref="Idle"/> that the same walsender keeps streaming (state 'streaming' in pg_stat_replication).</summary>
    private async Task StaysConnectedAsync(string applicationName, int pid, Task? worker)
    {
        Assert.NotEqual(0, pid);
        var until = DateTime.UtcNow + Idle;
        while (DateTime.UtcNow < until)
        {
            Assert.False(worker is { IsCompleted: true }, "the reader ended while the database was idle");
            var state = await _server.ScalarAsync<string>(
                $"SELECT state FROM pg_stat_replication WHERE application_name = '{applicationName}' AND pid = {pid}");
            Assert.True(state == "streaming", $"walsender {pid} is gone (state {state ?? "none"}). {_server.ReadLogTail()}");
            await Task.Delay(250);
        }
    }

    private async Task<DateTime> WaitReplyAsync(string applicationName, DateTime after, Task worker)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var reply = await _server.ScalarAsync<DateTime?>(
                $"SELECT reply_time FROM pg_stat_replication WHERE application_name = '{applicationName}'");
            if (reply is { } time && time > after)
            {
                return time;
            }

            Assert.False(worker.IsCompleted, "the reader ended");
            Assert.True(DateTime.UtcNow < deadline, $"no reply after {after:O} within 10 s");
            await Task.Delay(50);
        }
    }
}
