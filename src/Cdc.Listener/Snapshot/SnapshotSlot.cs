using System.Globalization;
using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Source;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;

namespace Cdc.Listener.Snapshot;

/// <summary>
/// The slot behind an initial snapshot. It is created TEMPORARY on a replication connection with an exported snapshot
/// (CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT); the connection stays open and idle, which keeps the exported
/// snapshot importable. Only once every snapshot row is acknowledged is it copied to the permanent slot
/// (<c>pg_copy_logical_replication_slot</c>, PostgreSQL 12+), which keeps its consistent point as confirmed flush LSN.
/// A Cdc killed mid-snapshot loses the connection and with it the temporary slot: the permanent slot does not exist, so
/// the next start snapshots again. The permanent slot's existence is the durable record that the snapshot completed.
/// </summary>
internal sealed class SnapshotSlot : IAsyncDisposable
{
    private readonly LogicalReplicationConnection _connection;

    private SnapshotSlot(LogicalReplicationConnection connection, string temporaryName, string snapshotName, Lsn consistentPoint)
    {
        _connection = connection;
        TemporaryName = temporaryName;
        SnapshotName = snapshotName;
        ConsistentPoint = consistentPoint;
    }

    public string TemporaryName { get; }

    /// <summary>The exported snapshot, for <c>SET TRANSACTION SNAPSHOT</c>.</summary>
    public string SnapshotName { get; }

    /// <summary>The slot's consistent point: the snapshot shows exactly the transactions that end at or before it.</summary>
    public Lsn ConsistentPoint { get; }

    /// <summary>The temporary slot's name: the permanent one's with a suffix, within PostgreSQL's 63 characters.</summary>
    internal static string TemporaryNameFor(string slot)
    {
        var suffix = "_snap" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        return (slot.Length + suffix.Length > 63 ? slot[..(63 - suffix.Length)] : slot) + suffix;
    }

    public static async Task<SnapshotSlot> CreateAsync(CdcOptions options, SourceConnectionStrings connections, CancellationToken cancellationToken)
    {
        var connection = new LogicalReplicationConnection(await connections.ForReplicationAsync(cancellationToken).ConfigureAwait(false));
        var name = TemporaryNameFor(options.Slot);
        try
        {
            await connection.Open(cancellationToken).ConfigureAwait(false);
            var slot = await connection.CreatePgOutputReplicationSlot(
                name, temporarySlot: true, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new SnapshotSlot(connection, name, slot.SnapshotName
                ?? throw new ReplicationSetupException("the server created the snapshot slot without exporting a snapshot"), new Lsn((ulong)slot.ConsistentPoint));
        }
        catch (Exception e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw e switch
            {
                PostgresException { SqlState: PostgresErrorCodes.ConfigurationLimitExceeded } pe => new ReplicationSetupException(
                    $"cannot create the snapshot's temporary slot '{name}': all replication slots are in use (max_replication_slots; the snapshot needs one free slot besides '{options.Slot}'): {pe.MessageText}", e),
                NpgsqlException or TimeoutException => SourceSetup.Classify(e, connections),
                _ => e,
            };
        }
    }

    /// <summary>
    /// Copies the temporary slot to <c>Cdc:Slot</c>: from now on the snapshot counts as done and streaming resumes from
    /// the consistent point. Refused when the slot appeared meanwhile (another instance completed its own snapshot).
    /// </summary>
    public async Task PromoteAsync(NpgsqlConnection conn, string slot, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT lsn::text FROM pg_copy_logical_replication_slot($1, $2, false)", conn);
        cmd.Parameters.AddWithValue(TemporaryName);
        cmd.Parameters.AddWithValue(slot);
        try
        {
            await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            throw new ReplicationSetupException(
                $"slot '{slot}' was created by another process while this one took the initial snapshot; start again to stream from that slot: {e.MessageText}", e);
        }
    }

    /// <summary>Closes the replication connection: the temporary slot and the exported snapshot go with it.</summary>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
