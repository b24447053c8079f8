using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>
/// Startup checks and idempotent setup of the publication and the slot, on a regular connection. The checks
/// (<see cref="CheckAsync"/>) change nothing, so a start that cannot work leaves nothing behind; the slot, which holds
/// WAL from the moment it exists, is created last (<see cref="PrepareAsync"/>).
/// Every refusal becomes a one-line <see cref="ReplicationSetupException"/> that says what to change.
/// </summary>
public sealed class SourceSetup(CdcOptions options, ILogger logger)
{
    private readonly SourceConnectionStrings _connections = new(options);
    private readonly PublicationSetup _publications = new(options, logger);

    /// <summary>Every check, read-only: what exists and what a start would create.</summary>
    public Task<SourcePlan> CheckAsync(CancellationToken cancellationToken = default)
        => WithConnectionAsync((conn, ct) => CheckAsync(conn, logger, ct), cancellationToken);

    /// <summary>The checks again, then the publication and the slot where they are missing.</summary>
    public Task<SourceInfo> PrepareAsync(CancellationToken cancellationToken = default)
        => WithConnectionAsync(PrepareAsync, cancellationToken);

    private async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        await using var conn = await OpenAsync(_connections, cancellationToken).ConfigureAwait(false);
        try
        {
            return await action(conn, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // A check query failed (connection lost mid-setup, a catalog the role may not read): the
            // same one-line, transient-or-fatal classification as a failed login.
            throw Classify(e, _connections);
        }
    }

    private async Task<SourceInfo> PrepareAsync(NpgsqlConnection conn, CancellationToken cancellationToken)
    {
        // The checks again (another instance may have created either in the meantime); their warnings were given.
        var plan = await CheckAsync(conn, NullLogger.Instance, cancellationToken).ConfigureAwait(false);
        var publicationCreated = await _publications.CreateAsync(conn, plan.Publication, plan.ServerVersionNum, cancellationToken).ConfigureAwait(false);
        var publications = await _publications.StreamPublicationsAsync(conn, cancellationToken).ConfigureAwait(false);
        if (plan.SlotConfirmedFlushLsn is null && SnapshotModes.Parse(options.Snapshot) != SnapshotMode.Never)
        {
            // The slot is created by the initial snapshot (a temporary slot exporting its snapshot, made permanent
            // once every row is acknowledged), so a snapshot cut short leaves no slot and is taken again.
            return new SourceInfo(plan.ServerVersionNum, plan.Database, Lsn.Invalid, false, publicationCreated, plan.UnkeyedTables, publications, SnapshotPending: true);
        }

        var (confirmed, slotCreated) = plan.SlotConfirmedFlushLsn is { } existing
            ? (existing, false)
            : await CreateSlotAsync(conn, plan.Database, plan.ServerVersionNum, cancellationToken).ConfigureAwait(false);
        return new SourceInfo(plan.ServerVersionNum, plan.Database, confirmed, slotCreated, publicationCreated, plan.UnkeyedTables, publications);
    }

    /// <summary>Read-only; warnings (settings that work but are risky, tables that cannot be keyed) go to <paramref name="log"/>.</summary>
    private async Task<SourcePlan> CheckAsync(NpgsqlConnection conn, ILogger log, CancellationToken cancellationToken)
    {
        var version = conn.PostgreSqlVersion;
        var versionNum = (version.Major * 10000) + (version.Major >= 10 ? version.Minor : version.Minor * 100);
        if (version.Major < 10)
        {
            throw new ReplicationSetupException($"PostgreSQL {version} has no logical replication with pgoutput: version 10 or newer is needed");
        }

        var walLevel = await ScalarAsync<string>(conn, "SHOW wal_level", cancellationToken).ConfigureAwait(false);
        if (walLevel != "logical")
        {
            throw new ReplicationSetupException(
                $"wal_level is '{walLevel}', logical replication needs 'logical': ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL");
        }

        var canReplicate = await ScalarAsync<bool>(conn,
            "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user", cancellationToken).ConfigureAwait(false);
        if (!canReplicate)
        {
            var role = await ScalarAsync<string>(conn, "SELECT current_user", cancellationToken).ConfigureAwait(false);
            throw new ReplicationSetupException($"role '{role}' may not replicate: ALTER ROLE \"{role}\" WITH REPLICATION;");
        }

        await CheckCapacityAsync(conn, cancellationToken).ConfigureAwait(false);
        await CheckStatusIntervalAsync(conn, log, cancellationToken).ConfigureAwait(false);
        var database = conn.Database;
        var publication = await _publications.PlanAsync(conn, versionNum, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> unkeyed = [];
        if (publication.Exists)
        {
            await CheckPublicationCoversTablesAsync(conn, publication.StreamPublications, cancellationToken).ConfigureAwait(false);
            unkeyed = await FindUnkeyedTablesAsync(conn, publication.StreamPublications, cancellationToken).ConfigureAwait(false);
            foreach (var table in unkeyed)
            {
                ListenerLog.UnkeyedTable(log, table);
            }

            foreach (var table in publication.Uncovered)
            {
                ListenerLog.UncoveredTable(log, table.QualifiedName, table.Keyed ? publication.Name : publication.InsertsName, table.Quoted);
            }
        }

        var slot = await InspectSlotAsync(conn, database, cancellationToken).ConfigureAwait(false);
        if (slot is not null)
        {
            await FailoverSlots.WarnIfNotFailoverAsync(conn, options.Slot, versionNum, log, cancellationToken).ConfigureAwait(false);
        }

        if (slot is null && versionNum < 120000 && SnapshotModes.Parse(options.Snapshot) != SnapshotMode.Never)
        {
            throw new ReplicationSetupException(
                $"PostgreSQL {version} cannot take Cdc's initial snapshot (it needs pg_copy_logical_replication_slot, PostgreSQL 12+): set Cdc:Snapshot to never");
        }

        return new SourcePlan(versionNum, database, publication, slot, unkeyed);
    }

    /// <summary>
    /// While the sink holds the reader back, the periodic status update is all the walsender hears from us: at or
    /// above its <c>wal_sender_timeout</c>, a slow sink would get the session dropped. Warned, not refused: a
    /// session that is never held back works.
    /// </summary>
    private async Task CheckStatusIntervalAsync(NpgsqlConnection conn, ILogger log, CancellationToken cancellationToken)
    {
        var timeoutMs = await ScalarAsync<int>(conn,
            "SELECT setting::int FROM pg_settings WHERE name = 'wal_sender_timeout'", cancellationToken).ConfigureAwait(false);
        if (timeoutMs > 0 && options.StatusInterval >= TimeSpan.FromMilliseconds(timeoutMs))
        {
            ListenerLog.StatusIntervalTooLong(log, options.StatusInterval.TotalSeconds, timeoutMs / 1000.0);
        }
    }

    /// <summary>A regular connection; the password file, if any, is read now.</summary>
    internal static async Task<NpgsqlConnection> OpenAsync(SourceConnectionStrings connections, CancellationToken cancellationToken)
    {
        var conn = new NpgsqlConnection(connections.ForQueries());
        try
        {
            await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
            return conn;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw Classify(e, connections);
        }
    }

    /// <summary>
    /// Authentication and missing databases are fatal; network trouble is transient. A refused login is transient
    /// too while the password comes from <c>Cdc:PasswordFile</c>: the token may have expired just before it was
    /// renewed, and the next attempt reads the file again.
    /// </summary>
    internal static CdcException Classify(Exception e, SourceConnectionStrings connections)
    {
        var where = connections.Describe();
        return e switch
        {
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } pe when connections.RotatesPassword
                => new ReplicationInterruptedException($"PostgreSQL at {where} refused the login with the password in Cdc:PasswordFile (read again at the next attempt): {pe.MessageText}", e),
            PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } pe
                => new ReplicationSetupException($"PostgreSQL at {where} refused the login: {pe.MessageText}", e),
            PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InsufficientPrivilege } pe => new ReplicationSetupException($"PostgreSQL at {where}: {pe.MessageText}", e),
            PostgresException pe => new ReplicationInterruptedException($"PostgreSQL at {where}: {pe.SqlState} {pe.MessageText}", e),
            // With several hosts, Npgsql's "no suitable host" (every host reached, none what Target Session Attributes
            // asks for, no error to wrap) is a failover in progress: a standby about to be promoted.
            NpgsqlException { InnerException: null } and not PostgresException when connections.HasSeveralHosts
                => new ReplicationInterruptedException($"no server at {where} is what Target Session Attributes asks for (yet): {e.Message}", e),
            _ when IsRefusedByClient(e) => new ReplicationSetupException($"cannot connect to PostgreSQL at {where}: {e.GetBaseException().Message}", e),
            _ => new ReplicationInterruptedException($"cannot reach PostgreSQL at {where}: {e.GetBaseException().Message}", e),
        };
    }

    /// <summary>
    /// Npgsql itself refused the server, as Cdc:Connection told it to: the server's certificate did not verify (SSL
    /// Mode VerifyCA / VerifyFull, Root Certificate), or the server offered what Require Auth, Channel Binding or SSL
    /// Mode forbid (Npgsql raises those as an <see cref="NpgsqlException"/> with no inner exception). Retrying cannot
    /// help; network trouble always comes with an inner I/O, socket or timeout exception.
    /// </summary>
    private static bool IsRefusedByClient(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }

        return e is NpgsqlException { InnerException: null } and not PostgresException;
    }

    /// <summary>A walsender and (unless ours exists) a slot must be free.</summary>
    private async Task CheckCapacityAsync(NpgsqlConnection conn, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT current_setting('max_wal_senders')::int,
                   (SELECT count(*)::int FROM pg_stat_replication),
                   current_setting('max_replication_slots')::int,
                   (SELECT count(*)::int FROM pg_replication_slots),
                   EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)
            """;
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue(options.Slot);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (maxSenders, senders, maxSlots, slots, ours) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetBoolean(4));
        if (maxSenders == 0)
        {
            throw new ReplicationSetupException("max_wal_senders is 0: no replication connection is possible; set it to at least 1 more than the replicas you run, then restart PostgreSQL");
        }

        if (maxSlots == 0)
        {
            throw new ReplicationSetupException("max_replication_slots is 0: set it to at least 1 (ALTER SYSTEM SET max_replication_slots = 10), then restart PostgreSQL");
        }

        if (!ours && slots >= maxSlots)
        {
            throw new ReplicationSetupException(
                $"all {maxSlots} replication slots are in use (max_replication_slots): raise it or drop an unused slot (SELECT pg_drop_replication_slot(...))");
        }

        // The initial snapshot's temporary slot exists beside the permanent one until it is copied to it: checked now,
        // not found out after the whole snapshot was published.
        if (!ours && slots + 2 > maxSlots && SnapshotModes.Parse(options.Snapshot) == SnapshotMode.Initial)
        {
            throw new ReplicationSetupException(
                $"{maxSlots - slots} replication slot is free (max_replication_slots = {maxSlots}); the initial snapshot needs 2 (its temporary slot and '{options.Slot}'): raise max_replication_slots, drop an unused slot, or set Cdc:Snapshot to never");
        }

        if (senders >= maxSenders)
        {
            // Often our own previous walsender, not yet gone after a crash: a retry can succeed.
            throw new ReplicationInterruptedException($"all {maxSenders} WAL senders are in use (max_wal_senders); waiting for one to free up");
        }
    }

    /// <summary>A publication that already existed must publish every table given in Cdc:Tables.</summary>
    private async Task CheckPublicationCoversTablesAsync(NpgsqlConnection conn, IReadOnlyList<string> publications, CancellationToken cancellationToken)
    {
        if (options.Tables.Count == 0)
        {
            return;
        }

        await using var cmd = new NpgsqlCommand(
            "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = ANY($1)", conn);
        cmd.Parameters.AddWithValue(publications.ToArray());
        var published = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                published.Add(reader.GetString(0));
            }
        }

        var missing = options.Tables
            .Select(SplitQualified)
            .Where(t => !published.Contains(t.Schema + "." + t.Table))
            .ToList();
        if (missing.Count > 0)
        {
            throw new ReplicationSetupException(
                $"publication '{options.Publication}' does not publish {string.Join(", ", missing.Select(t => t.Schema + "." + t.Table))} (Cdc:Tables): "
                + $"ALTER PUBLICATION {Quote(options.Publication)} ADD TABLE {string.Join(", ", missing.Select(t => Quote(t.Schema) + "." + Quote(t.Table)))};");
        }
    }

    /// <summary>The existing slot's confirmed flush LSN, checked to be usable; null when it is missing and may be created.</summary>
    private async Task<Lsn?> InspectSlotAsync(NpgsqlConnection conn, string database, CancellationToken cancellationToken)
    {
        await using (var cmd = new NpgsqlCommand(
            "SELECT plugin, database, wal_status, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", conn))
        {
            cmd.Parameters.AddWithValue(options.Slot);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var plugin = reader.IsDBNull(0) ? "(physical)" : reader.GetString(0);
                var slotDatabase = reader.IsDBNull(1) ? null : reader.GetString(1);
                var walStatus = reader.IsDBNull(2) ? null : reader.GetString(2);
                var confirmed = reader.IsDBNull(3) ? Lsn.Invalid : Lsn.Parse(reader.GetString(3));
                if (plugin != "pgoutput")
                {
                    throw new ReplicationSetupException($"slot '{options.Slot}' uses plugin '{plugin}', Cdc needs pgoutput: choose another Cdc:Slot or drop it");
                }

                if (slotDatabase != database)
                {
                    throw new ReplicationSetupException($"slot '{options.Slot}' belongs to database '{slotDatabase}', not '{database}'");
                }

                if (walStatus == "lost")
                {
                    throw new ReplicationSetupException(
                        $"slot '{options.Slot}' was invalidated (wal_status = lost: WAL it needed is gone, max_slot_wal_keep_size?): changes were lost; drop and recreate the slot and resnapshot");
                }

                return confirmed;
            }
        }

        if (!options.CreateSlot)
        {
            throw new ReplicationSetupException($"slot '{options.Slot}' does not exist and Cdc:CreateSlot is false");
        }

        return null;
    }

    /// <summary>
    /// Last step of a start: from here the slot holds WAL until it is read or dropped. On PostgreSQL 17+ it is a failover
    /// slot, which a standby with <c>sync_replication_slots</c> keeps in step, so Cdc can follow a promotion.
    /// </summary>
    private async Task<(Lsn Confirmed, bool Created)> CreateSlotAsync(NpgsqlConnection conn, string database, int serverVersionNum, CancellationToken cancellationToken)
    {
        try
        {
            await using var create = new NpgsqlCommand(serverVersionNum >= FailoverSlots.MinimumVersionNum
                ? "SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput', false, false, true)"
                : "SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", conn);
            create.Parameters.AddWithValue(options.Slot);
            var lsn = Lsn.Parse((string)(await create.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
            ListenerLog.SlotCreated(logger, options.Slot, lsn.ToString());
            return (lsn, true);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            // Another instance created it between our look and our create: use it.
            var confirmed = await InspectSlotAsync(conn, database, cancellationToken).ConfigureAwait(false);
            return (confirmed ?? throw new ReplicationInterruptedException($"slot '{options.Slot}' was created and dropped again by another process", e), false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ConfigurationLimitExceeded)
        {
            throw new ReplicationSetupException(
                $"cannot create slot '{options.Slot}': all replication slots are in use (max_replication_slots): {e.MessageText}", e);
        }
        catch (PostgresException e)
        {
            throw new ReplicationSetupException($"cannot create slot '{options.Slot}': {e.MessageText}", e);
        }
    }

    private static async Task<IReadOnlyList<string>> FindUnkeyedTablesAsync(NpgsqlConnection conn, IReadOnlyList<string> publications, CancellationToken cancellationToken)
    {
        // Tables whose updates and deletes cannot be keyed (no primary key under REPLICA IDENTITY DEFAULT, or
        // REPLICA IDENTITY NOTHING) in a publication that publishes updates or deletes: one Cdc did not create.
        const string sql = """
            SELECT DISTINCT pt.schemaname || '.' || pt.tablename
            FROM pg_publication_tables pt
            JOIN pg_publication p ON p.pubname = pt.pubname
            JOIN pg_class c ON c.relname = pt.tablename
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = pt.schemaname
            WHERE pt.pubname = ANY($1) AND (p.pubupdate OR p.pubdelete)
              AND (c.relreplident = 'n'
                   OR (c.relreplident = 'd' AND NOT EXISTS (
                        SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))
            ORDER BY 1
            """;
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue(publications.ToArray());
        var result = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>schema.table, or table in schema public.</summary>
    internal static (string Schema, string Table) SplitQualified(string table)
    {
        var dot = table.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? ("public", table) : (table[..dot], table[(dot + 1)..]);
    }
}
