using System.Buffers;
using System.Buffers.Binary;
using Cdc.Listener.Replication.Wire;
using Cdc.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Cdc.IntegrationTests.Wire;

/// <summary>
/// A table, a publication of it and a pgoutput slot, named after the test (dropped first), and what a test does with
/// a replication connection on them: start, read one transaction's pgoutput messages, confirm it.
/// </summary>
internal sealed class WireSlot
{
    private WireSlot(PostgresServer server, string name)
    {
        Server = server;
        Name = name;
    }

    public PostgresServer Server { get; }

    /// <summary>The slot's name; the table is <c>{Name}_t</c>, the publication <c>{Name}_pub</c>.</summary>
    public string Name { get; }

    public string Table => Name + "_t";

    public string Publication => Name + "_pub";

    public static async Task<WireSlot> CreateAsync(PostgresServer server, string name)
    {
        var slot = new WireSlot(server, name.ToLowerInvariant());
        await slot.DropAsync();
        await server.ExecuteAsync($"CREATE TABLE {slot.Table} (id int PRIMARY KEY, note text)");
        await server.ExecuteAsync($"CREATE PUBLICATION {slot.Publication} FOR TABLE {slot.Table}");
        await server.ExecuteAsync($"SELECT pg_create_logical_replication_slot('{slot.Name}', 'pgoutput')");
        return slot;
    }

    public async Task DropAsync()
    {
        await Server.ExecuteAsync(
            $"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '{Name}' AND active_pid IS NOT NULL");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await Server.ExecuteAsync($"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{Name}'");
                break;
            }
            catch (PostgresException e) when (e.SqlState == "55006" && attempt < 100)
            {
                // The terminated walsender has not released the slot yet.
                await Task.Delay(50);
            }
        }

        await Server.ExecuteAsync($"DROP PUBLICATION IF EXISTS {Publication}; DROP TABLE IF EXISTS {Table}");
    }

    public IReadOnlyList<KeyValuePair<string, string?>> Options(string? publication = null)
        => [new("proto_version", "1"), new("publication_names", publication ?? Publication)];

    public static Task<PgReplicationConnection> OpenAsync(string connectionString, TimeSpan? statusInterval = null, TimeSpan? receiverTimeout = null)
        => OpenAsync(ReplicationConnectionSettings.From(connectionString), statusInterval, receiverTimeout);

    public static async Task<PgReplicationConnection> OpenAsync(ReplicationConnectionSettings settings, TimeSpan? statusInterval = null, TimeSpan? receiverTimeout = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var connection = await PgReplicationConnection.OpenAsync(settings, 16 * 1024 * 1024, NullLogger.Instance, timeout.Token);
        connection.StatusInterval = statusInterval ?? connection.StatusInterval;
        connection.ReceiverTimeout = receiverTimeout ?? connection.ReceiverTimeout;
        return connection;
    }

    public async Task StartAsync(PgReplicationConnection connection, string? publication = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await connection.StartLogicalReplicationAsync(Name, 0, Options(publication), timeout.Token);
    }

    public Task InsertAsync(int id) => Server.ExecuteAsync($"INSERT INTO {Table} VALUES ({id}, 'row {id}')");

    /// <summary>The first byte of each pgoutput message up to and including the next Commit, and the commit's end LSN.</summary>
    public static async Task<(string Codes, ulong CommitEnd)> ReadTransactionAsync(PgReplicationConnection connection, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var codes = new List<char>();
        while (await connection.MoveNextAsync(cts.Token))
        {
            var data = connection.Current.Data;
            Assert.True(data.Length > 0, "an XLogData message without a pgoutput message");
            var code = (char)data.FirstSpan[0];
            codes.Add(code);
            if (code == 'C')
            {
                // Commit: 'C', flags, commit LSN, end LSN, timestamp.
                Span<byte> commit = stackalloc byte[1 + 1 + 8 + 8 + 8];
                data.Slice(0, commit.Length).CopyTo(commit);
                return (new string([.. codes]), BinaryPrimitives.ReadUInt64BigEndian(commit[10..]));
            }
        }

        throw new InvalidOperationException($"the server ended the stream after {new string([.. codes])}");
    }

    /// <summary>The slot's confirmed_flush_lsn as a number.</summary>
    public async Task<ulong> ConfirmedFlushAsync()
        => (ulong)await Server.ScalarAsync<long>($"SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots WHERE slot_name = '{Name}'");

    public async Task WaitConfirmedAsync(ulong lsn)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        ulong seen;
        while ((seen = await ConfirmedFlushAsync()) < lsn)
        {
            Assert.True(DateTime.UtcNow < deadline, $"confirmed_flush_lsn of {Name} stayed at {seen:X}, expected {lsn:X}");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// The whole round a working connection must manage: start on the slot, see an INSERT's transaction as
    /// Begin, Relation, Insert, Commit, confirm it and see confirmed_flush_lsn move, end gracefully.
    /// </summary>
    public async Task StreamOneInsertAsync(PgReplicationConnection connection)
    {
        var before = await ConfirmedFlushAsync();
        await StartAsync(connection);
        await InsertAsync(1);

        var (codes, commitEnd) = await ReadTransactionAsync(connection);

        Assert.Equal("BRIC", codes);
        Assert.True(commitEnd > before, $"commit end {commitEnd:X} not after the slot's start {before:X}");
        await connection.SendStatusUpdateAsync(commitEnd);
        await WaitConfirmedAsync(commitEnd);
        using var end = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await connection.EndReplicationAsync(end.Token);
    }
}
