using System.Buffers;
using Cdc.Decoding.Protocol;
using Cdc.Decoding.Protocol.Messages;
using Cdc.Decoding.Transactions;

namespace Cdc.Decoding;

/// <summary>
/// Groups pgoutput messages into committed transactions: plain <c>B..C</c>; streamed blocks <c>S..E</c>
/// interleaved by xid until <c>c</c> (commit) or <c>A</c> (abort of the transaction or one subtransaction);
/// two-phase <c>b..P</c> / <c>p</c> held until <c>K</c> (delivered) or <c>r</c> (dropped); a non-transactional
/// logical message as a transaction of its own. Copies what it keeps; one instance per replication session.
/// Not thread-safe.
/// </summary>
public sealed class TransactionAssembler : IDisposable
{
    private static readonly IReadOnlyList<PgOutputRecord> NoPrelude = [];

    private readonly PgOutputOptions _options;
    private readonly Dictionary<uint, OpenTransaction> _streams = [];
    private readonly Dictionary<string, OpenTransaction> _prepared = new(StringComparer.Ordinal);
    private readonly Action<TransactionBuffer> _returnBuffer;
    private TransactionBuffer? _spareBuffer;
    private OpenTransaction? _spareTransaction;
    private OpenTransaction? _current;
    private OpenTransaction? _streaming;
    private List<PgOutputRecord>? _schemaCarry;
    private bool _disposed;

    public TransactionAssembler(PgOutputOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _returnBuffer = ReturnBuffer;

        // Spill files a killed process left behind are removed at start, not at the first large transaction.
        SpillFiles.SweepOnce(SpillFiles.RootFor(options.SpillDirectory));
    }

    /// <summary>Transactions whose end LSN is at or below this are dropped (already delivered before a restart).</summary>
    public Lsn SkipThrough { get; set; }

    /// <summary>Transactions dropped because they ended at or below <see cref="SkipThrough"/>.</summary>
    public long SkippedTransactions { get; private set; }

    /// <summary>Transactions begun and not yet committed, aborted or rolled back (plain, streamed and prepared).</summary>
    public int OpenTransactionCount => (_current is null ? 0 : 1) + _streams.Count + _prepared.Count;

    /// <summary>Bytes buffered by open transactions.</summary>
    public long BufferedBytes
    {
        get
        {
            var total = _current?.Buffer.ByteSize ?? 0;
            foreach (var tx in _streams.Values)
            {
                total += tx.Buffer.ByteSize;
            }

            foreach (var tx in _prepared.Values)
            {
                total += tx.Buffer.ByteSize;
            }

            return total;
        }
    }

    /// <summary>
    /// The prepare LSN of the oldest transaction prepared and not yet committed or rolled back, or null. The slot
    /// must not be confirmed past it: the server only resends a PREPARE that lies after the confirmed position.
    /// </summary>
    public Lsn? OldestPreparedLsn
    {
        get
        {
            Lsn? oldest = null;
            foreach (var tx in _prepared.Values)
            {
                if (oldest is null || tx.FirstLsn < oldest.Value)
                {
                    oldest = tx.FirstLsn;
                }
            }

            return oldest;
        }
    }

    /// <summary>
    /// Takes one pgoutput message (one XLogData payload) and returns the transaction it completes, if any. The
    /// caller owns the returned transaction (dispose it after decoding). <paramref name="message"/> is copied as needed.
    /// </summary>
    /// <param name="message">The pgoutput message.</param>
    /// <param name="walStart">The XLogData's WAL start: the LSN named in errors and kept per change (0 for messages the server does not position).</param>
    /// <param name="walEnd">The XLogData's WAL end; positions come from Commit messages, so it is informational.</param>
    public CommittedTransaction? Append(ReadOnlySequence<byte> message, ulong walStart, ulong walEnd)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var lsn = new Lsn(walStart);
        var reader = new PgReader(message, lsn, _options);
        return Append(ref reader, lsn);
    }

    /// <inheritdoc cref="Append(ReadOnlySequence{byte}, ulong, ulong)"/>
    /// <remarks>For a contiguous message (the usual case): no sequence is built around it.</remarks>
    public CommittedTransaction? Append(ReadOnlyMemory<byte> message, ulong walStart, ulong walEnd)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var lsn = new Lsn(walStart);
        var reader = new PgReader(message, lsn, _options);
        return Append(ref reader, lsn);
    }

    private CommittedTransaction? Append(ref PgReader reader, Lsn lsn)
    {
        if (reader.Remaining == 0)
        {
            throw new PgOutputException("empty message", lsn, 0, 0);
        }

        if (reader.Remaining > _options.MaxMessageBytes)
        {
            throw reader.Error($"message of {reader.Remaining} bytes exceeds MaxMessageBytes {_options.MaxMessageBytes}");
        }

        switch ((PgOutputMessageType)reader.MessageType)
        {
            case PgOutputMessageType.Begin:
                return OnBegin(ref reader);
            case PgOutputMessageType.Commit:
                return OnCommit(ref reader);
            case PgOutputMessageType.Origin:
                OnOrigin(ref reader);
                return null;
            case PgOutputMessageType.Relation:
            case PgOutputMessageType.Type:
            case PgOutputMessageType.Insert:
            case PgOutputMessageType.Update:
            case PgOutputMessageType.Delete:
            case PgOutputMessageType.Truncate:
            case PgOutputMessageType.Message:
                return OnContent(ref reader, lsn);
            case PgOutputMessageType.StreamStart:
                OnStreamStart(ref reader, lsn);
                return null;
            case PgOutputMessageType.StreamStop:
                OnStreamStop(ref reader);
                return null;
            case PgOutputMessageType.StreamCommit:
                return OnStreamCommit(ref reader);
            case PgOutputMessageType.StreamAbort:
                OnStreamAbort(ref reader);
                return null;
            case PgOutputMessageType.BeginPrepare:
                OnBeginPrepare(ref reader);
                return null;
            case PgOutputMessageType.Prepare:
                OnPrepare(ref reader);
                return null;
            case PgOutputMessageType.StreamPrepare:
                OnStreamPrepare(ref reader);
                return null;
            case PgOutputMessageType.CommitPrepared:
                return OnCommitPrepared(ref reader);
            case PgOutputMessageType.RollbackPrepared:
                OnRollbackPrepared(ref reader);
                return null;
            default:
                throw reader.Error("unknown message type");
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _current?.Dispose();
        foreach (var tx in _streams.Values)
        {
            tx.Dispose();
        }

        foreach (var tx in _prepared.Values)
        {
            tx.Dispose();
        }

        _streams.Clear();
        _prepared.Clear();
        Interlocked.Exchange(ref _spareBuffer, null)?.Release();
    }

    private CommittedTransaction? OnBegin(ref PgReader reader)
    {
        RequireOutsideTransaction(ref reader);
        var begin = BeginMessage.Read(ref reader);
        var buffer = RentBuffer();
        if (_spareTransaction is { } spare)
        {
            _spareTransaction = null;
            spare.Restart(begin.Xid, begin.FinalLsn, buffer);
            _current = spare;
        }
        else
        {
            _current = new OpenTransaction(begin.Xid, begin.FinalLsn, _options, buffer: buffer);
        }

        return null;
    }

    private CommittedTransaction? OnCommit(ref PgReader reader)
    {
        var commit = CommitMessage.Read(ref reader);
        if (_current is null || _current.IsPrepare || _streaming is not null)
        {
            throw reader.Error("Commit without a Begin");
        }

        var tx = _current;
        _current = null;
        var committed = tx.Complete(commit.CommitLsn, commit.EndLsn, commit.CommitTimestamp, TakePrelude());
        _spareTransaction = tx;
        return Deliver(committed);
    }

    private void OnOrigin(ref PgReader reader)
    {
        var origin = OriginMessage.Read(ref reader);
        var target = _streaming ?? _current ?? throw reader.Error("Origin outside a transaction");
        target.Origin = origin.Name;
    }

    private CommittedTransaction? OnContent(ref PgReader reader, Lsn lsn)
    {
        var type = reader.MessageType;
        var streamed = _streaming is not null;
        if (type == (byte)PgOutputMessageType.Message && _streaming is null && _current is null)
        {
            return OnStandaloneMessage(ref reader, lsn);
        }

        var target = _streaming ?? _current ?? throw reader.Error("change outside a transaction");
        var changes = 1;
        if (type == (byte)PgOutputMessageType.Truncate)
        {
            var counter = reader;
            changes = TruncateMessage.ReadHeader(ref counter, streamed).RelationCount;
        }
        else if (type is (byte)PgOutputMessageType.Relation or (byte)PgOutputMessageType.Type)
        {
            changes = 0;
        }

        reader.ReadByte();
        var xid = streamed ? reader.ReadUInt32() : target.Xid;
        target.Buffer.Append(type, in reader, xid, lsn, changes);
        return null;
    }

    private CommittedTransaction? OnStandaloneMessage(ref PgReader reader, Lsn lsn)
    {
        var body = reader;
        body.ReadByte();

        // Only its LSN is kept from the parse. The copy buffer is used only when the message spans segments.
        var parsed = LogicalDecodingMessage.Read(ref reader, streamed: false, new CopyBuffer());

        // The outbox path sends these one after another: they reuse the plain transactions' buffer.
        var buffer = RentBuffer();
        buffer.Append(reader.MessageType, in body, 0, lsn, 1);

        // The server sends no commit for it. Just past the record's start is its end: confirming that position
        // skips exactly this message on a restart, and every later commit ends beyond it.
        var at = parsed.MessageLsn.Value != 0 ? parsed.MessageLsn : lsn;
        return Deliver(new CommittedTransaction(buffer, TakePrelude())
        {
            Xid = 0,
            CommitLsn = at,
            EndLsn = new Lsn(at.Value + 1),
        });
    }

    private void OnStreamStart(ref PgReader reader, Lsn lsn)
    {
        RequireProtocol(ref reader, 2);
        RequireOutsideTransaction(ref reader);
        var start = StreamStartMessage.Read(ref reader);
        if (_streams.TryGetValue(start.Xid, out var existing))
        {
            if (start.FirstSegment)
            {
                throw reader.Error($"Stream Start marks a first segment for transaction {start.Xid}, which already streamed");
            }

            _streaming = existing;
            return;
        }

        if (!start.FirstSegment)
        {
            throw reader.Error($"Stream Start continues transaction {start.Xid}, whose first segment never arrived");
        }

        _streaming = new OpenTransaction(start.Xid, lsn, _options, streamed: true);
        _streams.Add(start.Xid, _streaming);
    }

    private void OnStreamStop(ref PgReader reader)
    {
        RequireProtocol(ref reader, 2);
        StreamStopMessage.Read(ref reader);
        if (_streaming is null)
        {
            throw reader.Error("Stream Stop without a Stream Start");
        }

        _streaming = null;
    }

    private CommittedTransaction? OnStreamCommit(ref PgReader reader)
    {
        RequireProtocol(ref reader, 2);
        RequireOutsideTransaction(ref reader);
        var commit = StreamCommitMessage.Read(ref reader);
        if (!_streams.Remove(commit.Xid, out var tx))
        {
            throw reader.Error($"Stream Commit of transaction {commit.Xid}, which never streamed");
        }

        return Deliver(tx.Complete(commit.CommitLsn, commit.EndLsn, commit.CommitTimestamp, TakePrelude()));
    }

    private void OnStreamAbort(ref PgReader reader)
    {
        RequireProtocol(ref reader, 2);
        RequireOutsideTransaction(ref reader);
        var abort = StreamAbortMessage.Read(ref reader);
        if (!_streams.TryGetValue(abort.Xid, out var tx))
        {
            // Nothing of it was kept (e.g. a subtransaction abort before any change streamed).
            return;
        }

        if (abort.AbortsWholeTransaction)
        {
            // Its Relation messages are dropped too: the server resends schema after a streamed abort.
            _streams.Remove(abort.Xid);
            tx.Dispose();
            return;
        }

        tx.Buffer.AbortSubtransaction(abort.SubXid);
    }

    private void OnBeginPrepare(ref PgReader reader)
    {
        RequireProtocol(ref reader, 3);
        RequireOutsideTransaction(ref reader);
        var begin = BeginPrepareMessage.Read(ref reader);
        _current = new OpenTransaction(begin.Xid, begin.PrepareLsn, _options) { IsPrepare = true, Gid = begin.Gid };
    }

    private void OnPrepare(ref PgReader reader)
    {
        RequireProtocol(ref reader, 3);
        var prepare = PrepareMessage.Read(ref reader);
        if (_current is not { IsPrepare: true } tx || _streaming is not null)
        {
            throw reader.Error("Prepare without a Begin Prepare");
        }

        if (tx.Xid != prepare.Xid || !string.Equals(tx.Gid, prepare.Gid, StringComparison.Ordinal))
        {
            throw reader.Error($"Prepare of {prepare.Xid} '{prepare.Gid}' ends Begin Prepare of {tx.Xid} '{tx.Gid}'");
        }

        _current = null;
        HoldPrepared(ref reader, tx, prepare.Gid, prepare.PrepareLsn);
    }

    private void OnStreamPrepare(ref PgReader reader)
    {
        RequireProtocol(ref reader, 3);
        RequireOutsideTransaction(ref reader);
        var prepare = StreamPrepareMessage.Read(ref reader);
        if (!_streams.Remove(prepare.Xid, out var tx))
        {
            throw reader.Error($"Stream Prepare of transaction {prepare.Xid}, which never streamed");
        }

        tx.Gid = prepare.Gid;
        HoldPrepared(ref reader, tx, prepare.Gid, prepare.PrepareLsn);
    }

    private void HoldPrepared(ref PgReader reader, OpenTransaction tx, string gid, Lsn prepareLsn)
    {
        if (!_prepared.TryAdd(gid, tx))
        {
            tx.Dispose();
            throw reader.Error($"transaction '{gid}' is already prepared");
        }

        tx.FirstLsn = prepareLsn;

        // The server now counts its Relation messages as sent; later transactions may commit first and rely on them.
        CarrySchema(tx.Buffer);
    }

    private CommittedTransaction? OnCommitPrepared(ref PgReader reader)
    {
        RequireProtocol(ref reader, 3);
        RequireOutsideTransaction(ref reader);
        var commit = CommitPreparedMessage.Read(ref reader);
        if (!_prepared.Remove(commit.Gid, out var tx))
        {
            throw reader.Error($"Commit Prepared of '{commit.Gid}', which was not prepared in this session (was the slot confirmed past its PREPARE?)");
        }

        return Deliver(tx.Complete(commit.CommitLsn, commit.EndLsn, commit.CommitTimestamp, TakePrelude()));
    }

    private void OnRollbackPrepared(ref PgReader reader)
    {
        RequireProtocol(ref reader, 3);
        RequireOutsideTransaction(ref reader);
        var rollback = RollbackPreparedMessage.Read(ref reader);
        if (_prepared.Remove(rollback.Gid, out var tx))
        {
            tx.Dispose();
        }
    }

    private CommittedTransaction? Deliver(CommittedTransaction tx)
    {
        if (tx.EndLsn > SkipThrough)
        {
            return tx;
        }

        // Already delivered before a restart; the server still counts its Relation messages as sent.
        SkippedTransactions++;
        using (tx)
        {
            var prelude = tx.Prelude;
            foreach (var record in prelude)
            {
                (_schemaCarry ??= []).Add(record);
            }

            CarrySchema(tx);
        }

        return null;
    }

    private void CarrySchema(TransactionBuffer buffer)
    {
        foreach (var record in buffer.Read())
        {
            CarryRecord(record);
        }
    }

    private void CarrySchema(CommittedTransaction tx)
    {
        foreach (var record in tx.ReadMessages())
        {
            CarryRecord(record);
        }
    }

    private void CarryRecord(PgOutputRecord record)
    {
        if (record.MessageType is (byte)PgOutputMessageType.Relation or (byte)PgOutputMessageType.Type)
        {
            (_schemaCarry ??= []).Add(record with { Data = record.Data.ToArray() });
        }
    }

    private IReadOnlyList<PgOutputRecord> TakePrelude()
    {
        if (_schemaCarry is null)
        {
            return NoPrelude;
        }

        var prelude = _schemaCarry;
        _schemaCarry = null;
        return prelude;
    }

    /// <summary>
    /// Plain transactions reuse one buffer (and its rented array) once the caller disposed the previous
    /// transaction: steady-state decoding then allocates no buffer per transaction.
    /// </summary>
    private TransactionBuffer RentBuffer()
        => Interlocked.Exchange(ref _spareBuffer, null)
           ?? new TransactionBuffer(_options.SpillThresholdBytes, _options.SpillDirectory, trackSubtransactions: false) { Recycle = _returnBuffer };

    /// <summary>Called by a disposed plain transaction's buffer, possibly on another thread.</summary>
    private void ReturnBuffer(TransactionBuffer buffer)
    {
        if (Volatile.Read(ref _disposed) || Interlocked.CompareExchange(ref _spareBuffer, buffer, null) is not null)
        {
            buffer.Release();
        }
    }

    private void RequireOutsideTransaction(ref PgReader reader)
    {
        if (_current is not null || _streaming is not null)
        {
            throw reader.Error(_streaming is not null
                ? $"unexpected inside the streamed block of transaction {_streaming.Xid}"
                : $"unexpected inside transaction {_current!.Xid}");
        }
    }

    private void RequireProtocol(ref PgReader reader, int version)
    {
        if (_options.ProtocolVersion < version)
        {
            throw reader.Error($"needs protocol version {version}, the stream was started with {_options.ProtocolVersion}");
        }
    }
}
