using System.IO.Pipelines;
using Cdc.Decoding;
using Cdc.Listener.Backfill;
using Cdc.Listener.Backfill.Window;
using Cdc.Listener.Configuration;
using Cdc.Listener.Delivery;
using Cdc.Listener.Outbox;
using Cdc.Listener.Pipeline;
using Cdc.Listener.Snapshot;
using Cdc.Listener.Source;
using Cdc.Listener.Telemetry;
using Cdc.Sink;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Hosting;

/// <summary>
/// The listener: startup checks, the sink, then replication sessions with reconnects until stopped.
/// The ledger (and so the flush LSN) outlives sessions: a new session starts where every change is
/// acknowledged, and the server's replays at or below that point are skipped.
/// </summary>
internal sealed class ReplicationSupervisor(CdcOptions options, ListenerTelemetry telemetry, TimeProvider time, ILoggerFactory loggerFactory)
{
    private static readonly TimeSpan HealthySessionTime = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the confirm loop lets acks gather before it tells PostgreSQL the new flush LSN. Only WAL retention waits
    /// for it (a change's latency ends at its PubAck); at 5 ms a steady 1,000 transactions/s cost ~170 status updates/s,
    /// each a wake-up here and in the walsender.
    /// </summary>
    private static readonly TimeSpan ConfirmCoalescing = TimeSpan.FromMilliseconds(50);

    /// <summary>How long the first start on a slot waits for NATS before it gives up without creating anything.</summary>
    internal static readonly TimeSpan FirstStartSinkWait = TimeSpan.FromSeconds(15);

    private readonly ILogger _logger = loggerFactory.CreateLogger("Cdc.Listener");
    private BackfillCoordinator? _backfill;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        CdcOptionsValidator.ThrowIfInvalid(options);
        if (new Npgsql.NpgsqlConnectionStringBuilder(options.Connection).KeepAlive > 0)
        {
            ListenerLog.KeepaliveIgnoredForReplication(_logger);
        }

        var (sinkServer, stream) = SinkFactory.Target(options);
        telemetry.Session.Instance = new InstanceDescription
        {
            Slot = options.Slot,
            Publication = options.Publication,
            Sink = options.Sink,
            SinkServer = sinkServer,
            Stream = stream,
            MaxInFlightBytes = options.Pusher.MaxInFlightBytes,
        };
        telemetry.Session.State = "connecting";

        // Check everything first (PostgreSQL settings and rights, the settings against the server, NATS and the
        // stream), create last: a start that cannot work leaves no slot holding WAL and no publication behind.
        var flushed = 0UL;
        var backoff = new ReconnectBackoff();
        var setup = new SourceSetup(options, _logger);
        var plan = await RetryTransientAsync(setup.CheckAsync, backoff, stoppingToken).ConfigureAwait(false);
        _ = SessionContext.Negotiate(options, plan.ServerVersionNum);
        var lateAcks = new LateAckHandler();
        var sink = SinkFactory.Create(options, lateAcks, telemetry.Sink, loggerFactory);
        await using (sink.ConfigureAwait(false))
        {
            await StartSinkAsync(sink, plan, backoff, stoppingToken).ConfigureAwait(false);
            var stored = await RetryTransientAsync(ct => StreamResume.ReadAsync(sink, options.Slot, ct), backoff, stoppingToken).ConfigureAwait(false);
            var server = await RetryTransientAsync(ct => IdentifyAsync(plan, ct), backoff, stoppingToken).ConfigureAwait(false);
            var origin = StreamOrigin.Check(options, stored, server, out var systemChanged);
            if (systemChanged)
            {
                // Another cluster's positions say nothing about this one's: no skipping by them, no gap from them.
                ListenerLog.SystemChanged(_logger, options.Slot, stored!.SystemId!, server.SystemId);
                stored = null;
            }
            else if (StreamOrigin.Unmarked(stored))
            {
                ListenerLog.SystemAdopted(_logger, options.Nats.Stream, options.Slot, stored!.MessageId, server.SystemId);
            }

            if (plan.CreatesSlot)
            {
                StreamResume.ThrowIfLostSlot(options, stored);
            }

            var source = await RetryTransientAsync(setup.PrepareAsync, backoff, stoppingToken).ConfigureAwait(false);
            var protocol = SessionContext.Negotiate(options, source.ServerVersionNum) with { PublicationNames = source.Publications };
            var slotIsNew = source.SlotCreated || source.SnapshotPending;
            var gapFrom = slotIsNew && stored is { Streamed: true } ? new Lsn(stored.NewestEnd) : (Lsn?)null;

            var resume = slotIsNew ? null : StreamResume.Ahead(options, stored, source.ConfirmedFlushLsn.Value);
            if (resume is not null)
            {
                ListenerLog.ResumingFromStream(_logger, options.Slot, new Lsn(resume.NewestEnd).ToString(), resume.MessageId, source.ConfirmedFlushLsn.ToString());
            }

            var schemas = await RetryTransientAsync(ct => PublishedSchemas.ReadAsync(sink, options.Nats.SubjectPrefix, ct), backoff, stoppingToken).ConfigureAwait(false);
            HeartbeatMonitor? heartbeat = null;
            if (options.Heartbeat.Interval > TimeSpan.Zero)
            {
                if (protocol.Messages)
                {
                    heartbeat = new HeartbeatMonitor(options.Heartbeat.Timeout);
                    telemetry.Source.Heartbeat = heartbeat;
                }
                else
                {
                    ListenerLog.HeartbeatUnavailable(_logger);
                }
            }

            var context = new SessionContext(options, source, protocol) { Resume = resume, Schemas = schemas, Heartbeat = heartbeat, SystemId = server.SystemId };
            telemetry.Session.Instance = telemetry.Session.Instance with { Database = source.Database, ProtocolVersion = protocol.ProtocolVersion };
            telemetry.Source.SetConfirmedFlush(source.ConfirmedFlushLsn.Value);
            var connections = new SourceConnectionStrings(options);
            var snapshotSlot = source.SnapshotPending
                ? await RetryTransientAsync(ct => SnapshotSlot.CreateAsync(options, connections, ct), backoff, stoppingToken).ConfigureAwait(false)
                : null;

            // A snapshot is one ledger transaction ending at the consistent point: the ledger starts just below it, so
            // the flush LSN reaches the consistent point only once every snapshot row is acknowledged.
            var initialFlush = snapshotSlot is null ? source.ConfirmedFlushLsn.Value : InitialSnapshot.FlushBefore(snapshotSlot.ConsistentPoint);

            // A gap event is one more ledger transaction just below where the new slot starts.
            var gapTo = snapshotSlot?.ConsistentPoint ?? source.ConfirmedFlushLsn;
            var gapLedgerEnd = initialFlush;
            if (gapFrom is not null)
            {
                initialFlush--;
            }

            var ledger = new DeliveryLedger(new LedgerOptions { MaxInFlightBytes = options.Pusher.MaxInFlightBytes }, initialFlush);
            telemetry.Delivery.Attach(ledger);
            await using var outbox = OutboxRelay.Create(options, connections.ForQueries, _logger);
            telemetry.Outbox.Attach(outbox);
            if (outbox is not null)
            {
                var outboxSubjects = new SubjectMapper(options.Nats.SubjectPrefix, source.Database, includeOperation: false).OutboxSubjects;
                await OutboxLeftovers.DeleteAsync(sink, options.Outbox, outboxSubjects, connections.ForQueries, _logger, stoppingToken).ConfigureAwait(false);
            }

            var acks = new AckRouter(ledger, telemetry.Sink, telemetry.Session, _logger, outbox);
            lateAcks.Attach(acks);
            await using var types = new CatalogTypeResolver(connections.ForQueries);
            var sequence = new TransactionSequence();
            var dedupe = options.Pusher.Dedupe ? new DedupeBuffer(ledger) : null;
            var timelines = new TimelineGuard(_logger);
            if (origin is not null)
            {
                timelines.Seed(origin, new Lsn(stored!.NewestEnd));
            }
            // Not linked to the host's token: a graceful stop drains the buffer before the sender ends.
            using var senderCts = new CancellationTokenSource();
            using var heartbeatCts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var beating = heartbeat is null
                ? Task.CompletedTask
                : HeartbeatWriter.RunAsync(connections, options.Slot, options.Heartbeat.Interval, heartbeat, telemetry.Session, _logger, heartbeatCts.Token);
            var sender = dedupe is null ? Task.CompletedTask : SendDedupedAsync(dedupe, sink, ledger, senderCts.Token);
            backoff.Reset();
            try
            {
                if (gapFrom is { } from)
                {
                    ListenerLog.SlotGap(_logger, options.Slot, from.ToString(), gapTo.ToString(), SourceGap.Subject(options, source.Database));
                    await SourceGap.PublishAsync(context, ledger, sink, sequence, telemetry.Source, (from, gapTo), gapLedgerEnd, stoppingToken).ConfigureAwait(false);
                }

                if (snapshotSlot is not null && !await SnapshotAsync(snapshotSlot, context, connections, ledger, sink, acks, sequence, types, stoppingToken).ConfigureAwait(false))
                {
                    flushed = ledger.Tracker.FlushLsn;
                    telemetry.Session.State = "stopped";
                    return;
                }

                await using var backfills = BackfillService.Start(options, context, connections, ledger, telemetry.Backfills, loggerFactory);
                _backfill = backfills.Coordinator;
                var sessions = 0;
                while (true)
                {
                    try
                    {
                        if (sessions++ > 0)
                        {
                            // Each new session starts where the stream stands, as the first one did, not where the
                            // duplicate window would have to catch a replay.
                            context = context with { Resume = await ReadResumeAsync(sink, ledger, context.SystemId, stoppingToken).ConfigureAwait(false) };
                        }

                        await RunSessionAsync(context, ledger, sink, acks, sequence, types, dedupe, timelines, backoff, stoppingToken).ConfigureAwait(false);
                        break;
                    }
                    catch (SlotBusyException e) when (!stoppingToken.IsCancellationRequested)
                    {
                        // Another instance holds the slot: stand by and take over when it goes away.
                        telemetry.Session.State = "standby";
                        var delay = TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(Random.Shared.Next(1000));
                        ListenerLog.SlotBusy(_logger, options.Slot, e.ActivePid, delay.TotalSeconds);
                        await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                    }
                    catch (CdcException e) when (e.IsTransient && !stoppingToken.IsCancellationRequested)
                    {
                        telemetry.Session.State = "reconnecting";
                        telemetry.Source.CountReconnect();
                        telemetry.Session.CountError(e.Message);
                        var delay = backoff.Next();
                        ListenerLog.Reconnecting(_logger, UrlRedaction.Redact(e.Message), delay.TotalSeconds);
                        await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                await senderCts.CancelAsync().ConfigureAwait(false);
                await sender.ConfigureAwait(false);
                await heartbeatCts.CancelAsync().ConfigureAwait(false);
                await IgnoreCancellation(beating).ConfigureAwait(false);
            }

            flushed = ledger.Tracker.FlushLsn;
        }

        telemetry.Session.State = "stopped";
        ListenerLog.Stopped(_logger, new Lsn(flushed).ToString());
    }

    /// <summary>The source's system identifier and timeline (IDENTIFY_SYSTEM on a replication connection, closed again).</summary>
    private async Task<ServerTimeline> IdentifyAsync(SourcePlan plan, CancellationToken cancellationToken)
    {
        var session = new ReplicationSession(options, SessionContext.Negotiate(options, plan.ServerVersionNum), _logger);
        await using (session.ConfigureAwait(false))
        {
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);
            return session.Server!;
        }
    }

    /// <summary>
    /// Where the stream stands for the slot past what the ledger has acknowledged; null when it is not ahead, or when the
    /// newest message came from another system than <paramref name="systemId"/> (a start allowed by Cdc:AllowSystemChange
    /// that has stored nothing of the new cluster yet: the old cluster's positions mean nothing here).
    /// </summary>
    private async Task<ResumePoint?> ReadResumeAsync(IMessageSink sink, DeliveryLedger ledger, string? systemId, CancellationToken stoppingToken)
    {
        var stored = await StreamResume.ReadAsync(sink, options.Slot, stoppingToken).ConfigureAwait(false);
        if (stored?.SystemId is { } origin && systemId is not null && origin != systemId)
        {
            return null;
        }

        var resume = StreamResume.Ahead(options, stored, ledger.Tracker.FlushLsn);
        if (resume is not null)
        {
            ListenerLog.ResumingFromStream(_logger, options.Slot, new Lsn(resume.NewestEnd).ToString(), resume.MessageId, new Lsn(ledger.Tracker.FlushLsn).ToString());
        }

        return resume;
    }

    /// <summary>
    /// Takes the initial snapshot and, unless Cdc:Snapshot is initial_only, makes its slot the permanent one; the
    /// temporary slot (and its exported snapshot) is gone afterwards either way. Returns whether streaming follows.
    /// </summary>
    private async Task<bool> SnapshotAsync(
        SnapshotSlot slot,
        SessionContext context,
        SourceConnectionStrings connections,
        DeliveryLedger ledger,
        IMessageSink sink,
        AckRouter acks,
        TransactionSequence sequence,
        CatalogTypeResolver types,
        CancellationToken stoppingToken)
    {
        await using (slot.ConfigureAwait(false))
        {
            telemetry.Session.State = "snapshot";
            var snapshot = new InitialSnapshot(context, ledger, sink, acks, sequence, types, _logger);
            var (rows, tables) = await snapshot.RunAsync(slot, connections, stoppingToken).ConfigureAwait(false);
            if (SnapshotModes.Parse(options.Snapshot) == SnapshotMode.InitialOnly)
            {
                SnapshotLog.CompletedOnly(_logger, rows, tables, slot.ConsistentPoint.ToString());
                return false;
            }

            var conn = await SourceSetup.OpenAsync(connections, stoppingToken).ConfigureAwait(false);
            await using (conn.ConfigureAwait(false))
            {
                await slot.PromoteAsync(conn, options.Slot, stoppingToken).ConfigureAwait(false);

                // pg_copy_logical_replication_slot does not carry failover = true (PostgreSQL 17), and Npgsql has no
                // ALTER_REPLICATION_SLOT: say so now rather than at the next start.
                await FailoverSlots.WarnIfNotFailoverAsync(conn, options.Slot, context.Source.ServerVersionNum, _logger, stoppingToken).ConfigureAwait(false);
            }

            telemetry.Source.SetConfirmedFlush(slot.ConsistentPoint.Value);
            SnapshotLog.Completed(_logger, rows, tables, options.Slot, slot.ConsistentPoint.ToString());
            return true;
        }
    }

    /// <summary>
    /// Connects the sink and checks its stream. Once the slot exists, an unreachable NATS is waited out (the slot keeps
    /// the changes); on the first start, when nothing exists yet, it is given <see cref="FirstStartSinkWait"/> (NATS may
    /// be starting alongside) and then the start fails, before it creates a slot that would hold WAL with nobody reading it.
    /// </summary>
    private async Task StartSinkAsync(IMessageSink sink, SourcePlan plan, ReconnectBackoff backoff, CancellationToken stoppingToken)
    {
        var startedAt = time.GetTimestamp();
        while (true)
        {
            try
            {
                await sink.StartAsync(stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (CdcException e) when (e.IsTransient && !stoppingToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                if (plan.CreatesSlot && time.GetElapsedTime(startedAt) + delay > FirstStartSinkWait)
                {
                    throw new FirstStartException(
                        $"{e.Message}; first start on slot '{options.Slot}': gave up after {time.GetElapsedTime(startedAt).TotalSeconds:0}s, "
                        + "before creating the slot or the publication (check Cdc:Nats:Url and that NATS runs with JetStream)", e);
                }

                telemetry.Session.CountError(e.Message);
                ListenerLog.StartRetry(_logger, UrlRedaction.Redact(e.Message), delay.TotalSeconds);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunSessionAsync(
        SessionContext context,
        DeliveryLedger ledger,
        IMessageSink sink,
        AckRouter acks,
        TransactionSequence sequence,
        CatalogTypeResolver types,
        DedupeBuffer? dedupe,
        TimelineGuard timelines,
        ReconnectBackoff backoff,
        CancellationToken stoppingToken)
    {
        var session = new ReplicationSession(options, context.Protocol, _logger);
        await using (session.ConfigureAwait(false))
        {
            try
            {
                await session.OpenAsync(stoppingToken).ConfigureAwait(false);

                // Every earlier session drained before this one: what it delivered is in the stream (or failed fatally).
                timelines.Accept(session.Server!, new Lsn(sequence.LastDeliveredEndLsn));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw await ClassifyAsync(e, stoppingToken).ConfigureAwait(false);
            }

            types.Clear();
            var startedAt = time.GetTimestamp();
            var handOff = new DecoderHandOff();
            var pipe = XLogFrame.CreatePipe(handOff);
            using var pipeline = new ChangePipeline(context, ledger, sink, telemetry.Changes, telemetry.Source, sequence, types, dedupe, session.Server!, acks.Outbox, _logger, _backfill);

            // The stream is stopped by us, after the final confirmation, never directly by the host.
            using var streamCts = new CancellationTokenSource();
            using var pipelineCts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            Exception? readFailure = null;
            var reading = Task.Run(async () =>
            {
                try
                {
                    await session.StreamAsync(pipe.Writer, handOff, new Lsn(ledger.Tracker.FlushLsn), streamCts.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (!streamCts.IsCancellationRequested)
                {
                    readFailure = e;
                }
                finally
                {
                    // Completed without the error so the pipeline first delivers every whole
                    // transaction already received; the error is raised after that.
                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                }
            }, CancellationToken.None);
            var decoding = Task.Run(() => pipeline.RunAsync(pipe.Reader, pipelineCts.Token), CancellationToken.None);
            var confirming = ConfirmLoopAsync(session, ledger, sequence, streamCts.Token);
            var watching = IdleConfirmation.RunAsync(new SessionUpstream(session, pipeline, ledger, acks), ledger.Tracker, time, streamCts.Token);
            telemetry.Session.State = "streaming";

            Exception? failure = null;
            try
            {
                var first = await Task.WhenAny(decoding, watching).ConfigureAwait(false);
                await first.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Graceful stop: decoding stopped; let in-flight acks finish, confirm, then end the stream.
            }
            catch (Exception e)
            {
                failure = e;
            }

            if (failure is null && !stoppingToken.IsCancellationRequested)
            {
                // The pipeline delivered everything received: the stream ended (reading failed or the server closed it).
                failure = readFailure ?? new ReplicationInterruptedException("the replication stream ended");
            }

            pipelineCts.Cancel();
            await IgnoreCancellation(decoding).ConfigureAwait(false);
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);

            var classified = failure is null ? null : await ClassifyAsync(failure, stoppingToken).ConfigureAwait(false);
            if (classified is null || classified.IsTransient)
            {
                telemetry.Session.State = "draining";
                // A sink that fails for good ends the wait: what is pending will never be acknowledged.
                using (var faulted = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    var watchingFault = CancelOnFaultAsync(ledger, faulted);
                    await LedgerDrain.DrainAsync(
                        ledger.Tracker,
                        failure is null ? AcknowledgedScope.Chunks : AcknowledgedScope.Transactions,
                        failure is null ? options.ShutdownTimeout : Timeout.InfiniteTimeSpan,
                        time,
                        _logger,
                        faulted.Token).ConfigureAwait(false);
                    await faulted.CancelAsync().ConfigureAwait(false);
                    await IgnoreCancellation(watchingFault).ConfigureAwait(false);
                }

                var fault = ledger.Fault;
                await TryConfirmAsync(session, ledger).ConfigureAwait(false);
                if (fault is not null)
                {
                    // The sink failed for good while the reconnect waited for it: what is pending is never acknowledged.
                    classified = SinkFailure(fault);
                }
            }

            // Only a session that got going resets the backoff: one refused at START_REPLICATION again and
            // again (server recovering, slot briefly busy) must back off exponentially, not hammer the server.
            if (session.FramesWritten > 0 || time.GetElapsedTime(startedAt) >= HealthySessionTime)
            {
                backoff.Reset();
            }

            streamCts.Cancel();
            await IgnoreCancellation(reading).ConfigureAwait(false);
            await IgnoreCancellation(confirming).ConfigureAwait(false);
            await IgnoreCancellation(watching).ConfigureAwait(false);
            if (classified is not null)
            {
                throw classified;
            }
        }
    }

    /// <summary>Dedupe mode: moves messages from the buffer to the sink, ending the batch when the buffer is empty.</summary>
    private static async Task SendDedupedAsync(DedupeBuffer dedupe, IMessageSink sink, DeliveryLedger ledger, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var message = await dedupe.TakeAsync(cancellationToken).ConfigureAwait(false);
                await sink.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                if (dedupe.Count == 0)
                {
                    await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Stops the pipeline at its next push: nothing taken from the buffer may be lost silently.
            ledger.Fail(e);
        }
    }

    /// <summary>Sends a standby status update as soon as the flush LSN moves.</summary>
    private async Task ConfirmLoopAsync(ReplicationSession session, DeliveryLedger ledger, TransactionSequence sequence, CancellationToken cancellationToken)
    {
        var last = ledger.Tracker.FlushLsn;
        while (!cancellationToken.IsCancellationRequested)
        {
            var advanced = await ledger.Tracker.WaitForAdvanceAsync(last, cancellationToken).ConfigureAwait(false);

            // The commit-to-ack lag is taken as the position moves, before the coalescing wait below would add to it;
            // what is acknowledged during that wait is counted after it (at most ConfirmCoalescing late).
            CountAcked(sequence, advanced);

            // Prompt, not per transaction: acks of thousands of transactions a second would otherwise
            // cost a status update (a syscall here, work in the walsender) each.
            await Task.Delay(ConfirmCoalescing, time, cancellationToken).ConfigureAwait(false);
            var next = ledger.Tracker.FlushLsn;
            await session.ConfirmAsync(new Lsn(next), cancellationToken).ConfigureAwait(false);
            telemetry.Source.SetConfirmedFlush(next);
            telemetry.Source.Heartbeat?.ObserveFlush(next);
            CountAcked(sequence, next);

            ListenerLog.FlushConfirmed(_logger, new Lsn(next).ToString());
            last = next;
        }
    }

    private void CountAcked(TransactionSequence sequence, ulong flushLsn)
    {
        if (sequence.TakeCommitTimeThrough(flushLsn) is { } commitTime)
        {
            telemetry.Changes.CountAckedTransaction(commitTime);
        }
    }

    /// <summary>A session as <see cref="IdleConfirmation"/> sees it.</summary>
    private sealed class SessionUpstream(ReplicationSession session, ChangePipeline pipeline, DeliveryLedger ledger, AckRouter acks) : IIdleUpstream
    {
        public bool IsIdle => session.AwaitingServer && session.FramesWritten == pipeline.FramesProcessed && pipeline.IsIdle;

        public ulong LastReceivedLsn => session.LastReceivedLsn.Value;

        public void ThrowIfFailed()
        {
            // A refused change, or the dedupe sender's failure.
            if ((acks.Failure ?? ledger.Fault) is { } failure)
            {
                throw SinkFailure(failure);
            }
        }
    }

    /// <summary>A permanent sink failure (a refused change, the dedupe sender's error) as the fatal reason to stop.</summary>
    private static CdcException SinkFailure(Exception fault)
        => fault as CdcException ?? new SinkDeliveryException($"the sink failed: {fault.Message}", fault);

    /// <summary>Cancels <paramref name="cts"/> once the ledger is failed for good (checked every 100 ms).</summary>
    private static async Task CancelOnFaultAsync(DeliveryLedger ledger, CancellationTokenSource cts)
    {
        while (ledger.Fault is null)
        {
            await Task.Delay(100, cts.Token).ConfigureAwait(false);
        }

        await cts.CancelAsync().ConfigureAwait(false);
    }

    private async Task TryConfirmAsync(ReplicationSession session, DeliveryLedger ledger)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
            await session.ConfirmAsync(new Lsn(ledger.Tracker.FlushLsn), cts.Token).ConfigureAwait(false);
            telemetry.Source.SetConfirmedFlush(ledger.Tracker.FlushLsn);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The connection is gone; the next session starts from the same acknowledged position.
            telemetry.Session.CountError("final confirmation failed: " + e.Message);
        }
    }

    /// <summary>Retries what a server being down can fail (start-up checks, sink setup), saying why each time.</summary>
    /// <summary>
    /// Classifies what ended a session; for the SQLSTATEs that name no object it first asks the catalog whether the
    /// slot or the publication is gone. When even that fails the error stays transient: the next attempt asks again.
    /// </summary>
    private async Task<CdcException> ClassifyAsync(Exception failure, CancellationToken cancellationToken)
    {
        SlotAndPublication? catalog = null;
        if (ReplicationErrors.NeedsCatalog(failure))
        {
            try
            {
                catalog = await SlotAndPublication.ReadAsync(new SourceConnectionStrings(options), options.Slot, options.Publication, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is CdcException or NpgsqlException or TimeoutException)
            {
                ListenerLog.CatalogUnreadable(_logger, UrlRedaction.Redact(e.Message));
            }
        }

        return ReplicationErrors.Classify(failure, options.Slot, options.Publication, catalog);
    }

    private async Task<T> RetryTransientAsync<T>(Func<CancellationToken, Task<T>> action, ReconnectBackoff backoff, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (CdcException e) when (e.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                telemetry.Session.CountError(e.Message);
                ListenerLog.StartRetry(_logger, UrlRedaction.Redact(e.Message), delay.TotalSeconds);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
        catch (Exception)
        {
            // Already classified by the caller.
        }
    }
}
