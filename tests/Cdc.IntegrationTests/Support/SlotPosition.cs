using Cdc.Testing;
using Npgsql;

namespace Cdc.IntegrationTests.Support;

/// <summary>Where a replication slot stands, read from PostgreSQL: what the tests judge delivery by.</summary>
public static class SlotPosition
{
    /// <summary>
    /// Where the WAL ends now, past every commit made before: the insert position. Not <c>pg_current_wal_lsn()</c>, the
    /// write position: with <c>synchronous_commit = off</c> (the tests' servers) it can lag behind commits just made, and
    /// a heartbeat Cdc wrote just before them (Cdc:Heartbeat, on by default) takes the slot past that stale position
    /// before those commits are delivered.
    /// </summary>
    public static async Task<string> CurrentWalLsnAsync(PostgresServer pg, string database = "postgres")
        => (await pg.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text", database))!;

    public static Task<string?> ConfirmedFlushLsnAsync(PostgresServer pg, string slot, string database = "postgres")
        => pg.ScalarAsync<string>($"SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{slot}'", database);

    /// <summary>
    /// Waits until cdc reports (pg_stat_replication.write_lsn of the slot's walsender, sent with its periodic status
    /// update) that it has received the WAL up to <paramref name="lsn"/>.
    /// </summary>
    public static async Task WaitForReceivedAsync(
        PostgresServer pg, string slot, string lsn, TimeSpan timeout, string database = "postgres", Func<string>? diagnostics = null)
    {
        var query = $"SELECT coalesce(bool_or(r.write_lsn >= '{lsn}'::pg_lsn), false) FROM pg_stat_replication r "
            + $"JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = '{slot}'";
        var deadline = DateTime.UtcNow + timeout;
        while (!await pg.ScalarAsync<bool>(query, database))
        {
            Assert.True(DateTime.UtcNow < deadline, $"cdc did not report receiving the WAL up to {lsn} on slot {slot} within {timeout}\n{diagnostics?.Invoke()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Waits until the slot's confirmed flush LSN reaches <paramref name="lsn"/> (everything before it is in JetStream).</summary>
    public static async Task WaitForConfirmedAsync(
        PostgresServer pg, string slot, string lsn, TimeSpan timeout, string database = "postgres", Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await pg.ScalarAsync<bool>(
                        $"SELECT confirmed_flush_lsn >= '{lsn}'::pg_lsn FROM pg_replication_slots WHERE slot_name = '{slot}'", database))
                {
                    return;
                }
            }
            catch (NpgsqlException)
            {
                // PostgreSQL is coming back.
            }

            await Task.Delay(200);
        }

        Assert.Fail($"slot {slot} did not reach {lsn}: at {await ConfirmedFlushLsnAsync(pg, slot, database)}\n{diagnostics?.Invoke()}");
    }
}
