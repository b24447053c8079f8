using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Source;
using Cdc.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Cdc.IntegrationTests.Source;

/// <summary>
/// A table, a publication of it and a pgoutput slot named after the test (dropped first), and the round a working
/// <see cref="ReplicationSession"/> must manage on them: connect, stream an INSERT's transaction into a frame pipe,
/// confirm it and see the slot's confirmed_flush_lsn move.
/// </summary>
internal sealed class SessionSlot
{
    private SessionSlot(PostgresServer server, string name)
    {
        Server = server;
        Name = name;
    }

    public PostgresServer Server { get; }

    /// <summary>The slot's name; the table is <c>{Name}_t</c>, the publication <c>{Name}_pub</c>.</summary>
    public string Name { get; }

    public string Table => Name + "_t";

    public string Publication => Name + "_pub";

    public static async Task<SessionSlot> CreateAsync(PostgresServer server, string name)
    {
        var slot = new SessionSlot(server, name.ToLowerInvariant());
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

    /// <summary>The options <c>cdc run</c> would get for this slot.</summary>
    public CdcOptions Options(string connectionString, string? passwordFile = null)
        => new() { Connection = connectionString, Slot = Name, Publication = Publication, PasswordFile = passwordFile };

    public static ReplicationSession NewSession(CdcOptions options)
        => new(options, new PgOutputOptions { ProtocolVersion = 1 }, NullLogger.Instance);

    /// <summary>Opens a session (the connection attempt only).</summary>
    public static async Task OpenAsync(CdcOptions options)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var session = NewSession(options);
        await session.OpenAsync(timeout.Token);
    }

    /// <summary>
    /// Opens a session on the slot, streams an INSERT's transaction (Begin, Relation, Insert, Commit) into a frame
    /// pipe, confirms its end LSN and waits for the slot's confirmed_flush_lsn to reach it. Returns true when the
    /// walsender that streamed it used TLS (pg_stat_ssl).
    /// </summary>
    public async Task<bool> StreamOneInsertAsync(CdcOptions options, int id = 1)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var before = await ConfirmedFlushAsync();
        var session = NewSession(options);
        await using (session)
        {
            await session.OpenAsync(timeout.Token);
            var handOff = new DecoderHandOff();
            var pipe = XLogFrame.CreatePipe(handOff);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            var reading = Task.Run(async () =>
            {
                try
                {
                    await session.StreamAsync(pipe.Writer, handOff, new Lsn(before), stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                finally
                {
                    await pipe.Writer.CompleteAsync();
                }
            });

            await Server.ExecuteAsync($"INSERT INTO {Table} VALUES ({id}, 'row {id}')");
            var (codes, commitEnd) = await ReadTransactionAsync(pipe.Reader, timeout.Token);
            Assert.Equal("BRIC", codes);
            Assert.True(commitEnd > before, $"commit end {commitEnd:X} not after the slot's start {before:X}");
            var ssl = await Server.ScalarAsync<bool>(
                $"SELECT s.ssl FROM pg_stat_ssl s JOIN pg_replication_slots r ON r.active_pid = s.pid WHERE r.slot_name = '{Name}'");

            await session.ConfirmAsync(new Lsn(commitEnd), timeout.Token);
            await WaitConfirmedAsync(commitEnd);
            await stop.CancelAsync();
            await reading;
            await pipe.Reader.CompleteAsync();
            return ssl;
        }
    }

    /// <summary>The first byte of each pgoutput message up to and including the next Commit, and the commit's end LSN.</summary>
    private static async Task<(string Codes, ulong CommitEnd)> ReadTransactionAsync(PipeReader frames, CancellationToken cancellationToken)
    {
        var codes = new List<char>();
        while (true)
        {
            var result = await frames.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            try
            {
                while (XLogFrame.TryRead(ref buffer, out var frame))
                {
                    var data = frame.Data;
                    var code = (char)data.FirstSpan[0];
                    codes.Add(code);
                    if (code == 'C')
                    {
                        // Commit: 'C', flags, commit LSN, end LSN, timestamp.
                        var commit = new byte[26];
                        data.Slice(0, commit.Length).CopyTo(commit);
                        return (new string([.. codes]), BinaryPrimitives.ReadUInt64BigEndian(commit.AsSpan(10)));
                    }
                }

                if (result.IsCompleted)
                {
                    throw new InvalidOperationException($"the stream ended after {new string([.. codes])}");
                }
            }
            finally
            {
                frames.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    private async Task<ulong> ConfirmedFlushAsync()
        => (ulong)await Server.ScalarAsync<long>($"SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots WHERE slot_name = '{Name}'");

    private async Task WaitConfirmedAsync(ulong lsn)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        ulong seen;
        while ((seen = await ConfirmedFlushAsync()) < lsn)
        {
            Assert.True(DateTime.UtcNow < deadline, $"confirmed_flush_lsn of {Name} stayed at {seen:X}, expected {lsn:X}");
            await Task.Delay(20);
        }
    }
}
