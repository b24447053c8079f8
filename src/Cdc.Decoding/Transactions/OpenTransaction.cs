namespace Cdc.Decoding.Transactions;

/// <summary>A transaction whose messages are arriving: B..C, b..P (then waiting for K or r), or a streamed S..E* until c / A.</summary>
internal sealed class OpenTransaction : IDisposable
{
    /// <param name="buffer">A recycled empty buffer for a plain transaction, or null for a new one.</param>
    public OpenTransaction(uint xid, Lsn firstLsn, PgOutputOptions options, bool streamed = false, TransactionBuffer? buffer = null)
    {
        Xid = xid;
        FirstLsn = firstLsn;
        IsStreamed = streamed;
        Buffer = buffer ?? new TransactionBuffer(options.SpillThresholdBytes, options.SpillDirectory, trackSubtransactions: streamed);
    }

    public uint Xid { get; private set; }

    /// <summary>Begin's final LSN, Begin Prepare's prepare LSN, or the first streamed message's LSN.</summary>
    public Lsn FirstLsn { get; set; }

    public string? Gid { get; set; }

    public string? Origin { get; set; }

    public bool IsStreamed { get; }

    /// <summary>Begin Prepare (not Begin): ends with Prepare, not Commit.</summary>
    public bool IsPrepare { get; init; }

    public TransactionBuffer Buffer { get; private set; }

    /// <summary>
    /// Lets a completed plain transaction's object serve the next Begin (its previous buffer now belongs to the
    /// committed transaction), so steady-state decoding allocates no OpenTransaction per transaction.
    /// </summary>
    public void Restart(uint xid, Lsn firstLsn, TransactionBuffer buffer)
    {
        if (IsStreamed || IsPrepare)
        {
            throw new InvalidOperationException("Only a plain transaction's object is reused.");
        }

        Xid = xid;
        FirstLsn = firstLsn;
        Buffer = buffer;
        Gid = null;
        Origin = null;
    }

    public CommittedTransaction Complete(Lsn commitLsn, Lsn endLsn, long postgresTimestamp, IReadOnlyList<PgOutputRecord> prelude)
        => new(Buffer, prelude)
        {
            Xid = Xid,
            CommitLsn = commitLsn,
            EndLsn = endLsn,
            CommitTimeMicros = Values.PgCalendar.TimestampFromPg(postgresTimestamp, "commit timestamp"),
            Origin = Origin,
            Gid = Gid,
            IsStreamed = IsStreamed,
        };

    public void Dispose() => Buffer.Dispose();
}
