using System.Globalization;
using Cdc.Decoding;
using Cdc.Listener.Pipeline;
using Cdc.Listener.Delivery;
using Cdc.Listener.Source;
using Cdc.Listener.Snapshot;
using Cdc.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Npgsql;
using Cdc.Listener.Backfill.Window;

namespace Cdc.Listener.Backfill;

/// <summary>
/// Runs the requested backfills one at a time in request order (<see cref="BackfillQueue"/>) while streaming goes on,
/// paced by <see cref="BackfillPacer"/>: per chunk a low watermark, the chunk read, a high watermark; the pipeline
/// publishes the rows in the high watermark's transaction, and once their acks move the flush LSN past it, the chunk's
/// end is saved in the progress store. A restart resumes after the last saved chunk.
/// </summary>
internal sealed class BackfillRunner
{
    /// <summary>How long a high watermark may take to come back through the stream before the chunk is read again.</summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromMinutes(5);

    private readonly SessionContext _context;
    private readonly SourceConnectionStrings _connections;
    private readonly DeliveryLedger _ledger;
    private readonly BackfillCoordinator _coordinator;
    private readonly IBackfillStore _store;
    private readonly BackfillProgressBoard _board;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly int _chunkRows;
    private readonly BackfillQueue _queue = new();
    private readonly SemaphoreSlim _storeLock = new(1, 1);

    public BackfillRunner(SessionContext context, SourceConnectionStrings connections, DeliveryLedger ledger, BackfillCoordinator coordinator,
        IBackfillStore store, BackfillProgressBoard board, ILogger logger, TimeProvider time)
    {
        _context = context;
        _connections = connections;
        _ledger = ledger;
        _coordinator = coordinator;
        _store = store;
        _board = board;
        _logger = logger;
        _time = time;
        _chunkRows = context.Options.Backfill.ChunkRows;
        coordinator.OnSignal = OnSignalAsync;
    }

    /// <summary>A committed request (from the pipeline, before its transaction is acknowledged): saved, then queued.</summary>
    private async Task OnSignalAsync(BackfillSignal signal, Lsn lsn, CancellationToken cancellationToken)
    {
        var id = lsn.Value.ToString("X16", CultureInfo.InvariantCulture);
        await _storeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var job = new BackfillJob
            {
                Id = id,
                Schema = signal.Schema,
                Table = signal.Table,
                Where = signal.Where,
                StartedUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            };
            if (_queue.IsCurrent(job))
            {
                return; // the same request again (its transaction replayed after a restart); one transaction may request several tables
            }

            await _store.SaveAsync(job, cancellationToken).ConfigureAwait(false);
            _queue.Put(job);
            _board.Queue(_queue.InOrder());
            BackfillLog.Requested(_logger, job.QualifiedName, lsn.ToString(), signal.Where is null ? string.Empty : ", where " + signal.Where);
        }
        finally
        {
            _storeLock.Release();
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = new ReconnectBackoff();
        foreach (var job in await LoadAsync(backoff, cancellationToken).ConfigureAwait(false))
        {
            _queue.Put(job);
        }

        _board.Queue(_queue.InOrder());

        await using var types = new CatalogTypeResolver(_connections.ForQueries);
        // A chunk is held in memory from its read until its high watermark comes through: a quarter of the budget at most.
        var reader = new ChunkReader(new ChangeEventEncoder(types), _context.Source.Database, _context.Protocol.Binary, _context.Options.Pusher.MaxInFlightBytes / 4);
        var options = _context.Options.Backfill;
        var pacer = new BackfillPacer(options.MaxRowsPerSecond, options.PauseAboveInFlightBytes, () => _ledger.Tracker.InFlightBytes, _time);
        while (true)
        {
            var job = await _queue.NextAsync(cancellationToken).ConfigureAwait(false);
            var table = job.QualifiedName;
            try
            {
                await RunJobAsync(job, reader, types, pacer, cancellationToken).ConfigureAwait(false);
                backoff.Reset();
            }
            catch (BackfillException e)
            {
                BackfillLog.Abandoned(_logger, table, e.Message);
                await ForgetAsync(job, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState.StartsWith("42", StringComparison.Ordinal) || e.SqlState.StartsWith("22", StringComparison.Ordinal))
            {
                // A syntax error, unknown column or bad value (most likely in --where): retrying cannot help.
                BackfillLog.Abandoned(_logger, table, $"PostgreSQL refused the chunk's query ({e.SqlState}): {e.MessageText}; request it again with a predicate over the table's unqualified columns");
                await ForgetAsync(job, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
            {
                // PostgreSQL or NATS away: the stream waits it out too; try again from the last saved chunk.
                var delay = backoff.Next();
                BackfillLog.Retrying(_logger, table, delay.TotalSeconds, e.Message);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<IReadOnlyList<BackfillJob>> LoadAsync(ReconnectBackoff backoff, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
            {
                var delay = backoff.Next();
                BackfillLog.Retrying(_logger, "(progress store)", delay.TotalSeconds, e.Message);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunJobAsync(BackfillJob job, ChunkReader reader, CatalogTypeResolver types, BackfillPacer pacer, CancellationToken cancellationToken)
    {
        if (!_context.Protocol.Messages)
        {
            throw new BackfillException("a backfill needs logical decoding messages for its watermarks: Cdc:Messages = true and PostgreSQL 14+");
        }

        var conn = await SourceSetup.OpenAsync(_connections, cancellationToken).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            var published = (await PublishedTables.ReadAsync(conn, _context.Source.Publications, _context.Source.ServerVersionNum, types, cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(t => t.Relation.Namespace == job.Schema && t.Relation.Name == job.Table)
                ?? throw new BackfillException($"{job.QualifiedName} is not a table of the publications {string.Join(", ", _context.Source.Publications)}: add it (ALTER PUBLICATION ... ADD TABLE) and request the backfill again");
            var relation = published.Relation;
            var key = await TableKey.ReadAsync(conn, relation.Id, cancellationToken).ConfigureAwait(false);
            _board.Start(job, await EstimateAsync(conn, relation.Id, cancellationToken).ConfigureAwait(false));
            BackfillLog.Started(_logger, job.QualifiedName, job.Chunks == 0 ? "started" : "resumed", job.Chunks + 1, job.RowsDone,
                key is null ? "ctid" : "(" + string.Join(", ", key.Columns) + ")");
            var attempt = 0;
            while (_queue.IsCurrent(job))
            {
                await pacer.WaitAsync(cancellationToken).ConfigureAwait(false);
                var low = new Watermark(false, _coordinator.Slot, job.Id, job.Chunks + 1, ++attempt);
                _coordinator.Expect(low, relation.Namespace, relation.Name, key?.Columns);
                var lowLsn = await EmitAsync(conn, low, cancellationToken).ConfigureAwait(false);
                var started = job.StartLsn == 0 ? job with { StartLsn = lowLsn } : job;
                var chunk = new BackfillChunk(relation, low, lowLsn);
                await reader.ReadAsync(conn, chunk, key, started, published.RowFilter, _chunkRows, cancellationToken).ConfigureAwait(false);
                pacer.Read(chunk.Count);
                if (chunk.IsLast)
                {
                    chunk.Marker = Marker(started, started.RowsDone + chunk.Count);
                }

                _coordinator.Provide(chunk);
                await EmitAsync(conn, low with { IsHigh = true }, cancellationToken).ConfigureAwait(false);
                if (await AcknowledgedAsync(chunk, cancellationToken).ConfigureAwait(false) is not { } endLsn)
                {
                    BackfillLog.ChunkRetried(_logger, job.QualifiedName, low.Chunk);
                    continue;
                }

                attempt = 0;
                job = started with { LastKey = chunk.LastKey, NextPage = chunk.NextPage, Chunks = low.Chunk, RowsDone = started.RowsDone + chunk.Count };
                BackfillLog.ChunkAcknowledged(_logger, job.QualifiedName, low.Chunk, chunk.Count, chunk.Dropped, new Lsn(endLsn).ToString());
                if (chunk.IsLast)
                {
                    await ForgetAsync(job, cancellationToken).ConfigureAwait(false);
                    BackfillLog.Completed(_logger, job.QualifiedName, job.RowsDone,
                        (_time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(job.StartedUnixMs)).TotalSeconds, new Lsn(job.StartLsn).ToString());
                    return;
                }

                await SaveProgressAsync(job, cancellationToken).ConfigureAwait(false);
            }

            // Replaced by a newer request for the table, which waits its turn at the end of the queue.
            _board.Finish(job);
        }
    }

    /// <summary>
    /// Waits for the high watermark to come through the stream and for the chunks carrying the rows to be acknowledged;
    /// the end LSN of the high watermark's transaction, or null when the chunk must be read again.
    /// </summary>
    private async Task<ulong?> AcknowledgedAsync(BackfillChunk chunk, CancellationToken cancellationToken)
    {
        ulong? endLsn;
        try
        {
            endLsn = await chunk.Delivered.WaitAsync(DeliveryTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }

        if (endLsn is not { } end)
        {
            return null;
        }

        var tracker = _ledger.Tracker;
        while (tracker.FlushLsn < end)
        {
            using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            tick.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await tracker.WaitForAdvanceAsync(tracker.FlushLsn, tick.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }

        // Past the transaction, but its rows may have gone down with a session and the transaction come back without them.
        return chunk.IsAcknowledged ? end : null;
    }

    private async Task SaveProgressAsync(BackfillJob job, CancellationToken cancellationToken)
    {
        await _storeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_queue.Update(job))
            {
                return; // superseded by a newer request, which the store already holds
            }

            await _store.SaveAsync(job, cancellationToken).ConfigureAwait(false);
            _board.Update(job);
        }
        finally
        {
            _storeLock.Release();
        }
    }

    private async Task ForgetAsync(BackfillJob job, CancellationToken cancellationToken)
    {
        await _storeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_queue.Remove(job))
            {
                return;
            }

            _board.Finish(job);
            _board.Queue(_queue.InOrder());
            await _store.RemoveAsync(job, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _storeLock.Release();
        }
    }

    private byte[] Marker(BackfillJob job, long rows) => new SnapshotEvent
    {
        Database = _context.Source.Database,
        Schema = job.Schema,
        Table = job.Table,
        ConsistentLsn = job.StartLsn,
        RowCount = (ulong)rows,
        StartedUs = job.StartedUnixMs * 1000,
        FinishedUs = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000,
        Slot = _context.Options.Slot,
        Backfill = true,
    }.ToByteArray();

    private static async Task<ulong> EmitAsync(NpgsqlConnection conn, Watermark mark, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_logical_emit_message(true, $1, $2)", conn);
        cmd.Parameters.AddWithValue(Watermark.Prefix);
        cmd.Parameters.AddWithValue(mark.ToContent());
        var lsn = (NpgsqlTypes.NpgsqlLogSequenceNumber)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return (ulong)lsn;
    }

    private static async Task<long> EstimateAsync(NpgsqlConnection conn, uint relationId, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = $1", conn);
        cmd.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Oid, relationId);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long estimate ? estimate : 0;
    }
}
