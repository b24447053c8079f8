using Cdc.Decoding.Transactions;

namespace Cdc.Decoding;

/// <summary>
/// A transaction whose commit arrived (Commit, Stream Commit or Commit Prepared), or a non-transactional logical
/// message on its own, with its messages in order (in memory or in a spill file, deleted on dispose).
/// Relation and Type messages stay inside and are applied by <see cref="ChangeDecoder"/> in commit order.
/// </summary>
public sealed class CommittedTransaction : IDisposable
{
    private readonly TransactionBuffer _buffer;
    private bool _disposed;

    internal CommittedTransaction(TransactionBuffer buffer, IReadOnlyList<PgOutputRecord> prelude)
    {
        _buffer = buffer;
        Prelude = prelude;

        // Fixed from here on; kept so they stay right after dispose, when the buffer may serve another transaction.
        ByteSize = buffer.ByteSize;
        MessageCount = buffer.MessageCount;
        ChangeCount = buffer.ChangeCount;
    }

    /// <summary>Top-level transaction id (0 for a non-transactional logical message).</summary>
    public uint Xid { get; internal init; }

    /// <summary>LSN of the commit record (or of the logical message).</summary>
    public Lsn CommitLsn { get; internal init; }

    /// <summary>LSN just past the commit record: the slot may advance here once every change is delivered.</summary>
    public Lsn EndLsn { get; internal init; }

    /// <summary>Commit time, microseconds since the Unix epoch (0 for a non-transactional message: the server sends none).</summary>
    public long CommitTimeMicros { get; internal init; }

    /// <summary>Replication origin name (Origin message), when the transaction came from one.</summary>
    public string? Origin { get; internal init; }

    /// <summary>Global id of a two-phase transaction (delivered at COMMIT PREPARED).</summary>
    public string? Gid { get; internal init; }

    /// <summary>True when the transaction came in streamed blocks (S..E, Stream Commit).</summary>
    public bool IsStreamed { get; internal init; }

    /// <summary>Bytes of the kept pgoutput messages.</summary>
    public long ByteSize { get; }

    /// <summary>Kept pgoutput messages (Relation, Type and changes).</summary>
    public int MessageCount { get; }

    /// <summary>How many <see cref="ChangeItem"/>s decoding gives (rows, truncated tables, logical messages).</summary>
    public int ChangeCount { get; }

    public bool IsSpilled => !_disposed && _buffer.IsSpilled;

    /// <summary>
    /// Relation and Type messages of earlier transactions that were not delivered (skipped by
    /// <see cref="TransactionAssembler.SkipThrough"/>, rolled back after PREPARE) or that are still prepared:
    /// the server counts them as sent, so they are applied before this transaction's own messages.
    /// </summary>
    internal IReadOnlyList<PgOutputRecord> Prelude { get; }

    /// <summary>The kept messages in order; each record's data is valid until the next one is read.</summary>
    public IEnumerable<PgOutputRecord> ReadMessages()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _buffer.Read();
    }

    /// <summary>Iterator-free reading of an in-memory transaction: the next kept record after <paramref name="position"/> (start at 0).</summary>
    internal bool TryReadInMemory(ref int position, out PgOutputRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _buffer.TryReadMemory(ref position, out record);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _buffer.Dispose();
        }
    }

    public override string ToString() => $"xid {Xid} end {EndLsn}: {ChangeCount} changes, {ByteSize} bytes{(IsSpilled ? " (spilled)" : string.Empty)}";
}
