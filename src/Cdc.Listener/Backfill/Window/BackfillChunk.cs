using System.Buffers;
using Cdc.Decoding;
using Cdc.Listener.Delivery;

namespace Cdc.Listener.Backfill.Window;

/// <summary>
/// The rows of one backfill chunk, read between its low and high watermark: each row's encoded event
/// (<c>OPERATION_READ</c>) and its window key. Handed to the pipeline, which publishes, in the high watermark's
/// transaction, the rows whose key did not change inside the window; the runner then waits for their acks.
/// </summary>
internal sealed class BackfillChunk(RelationInfo relation, Watermark low, ulong lowLsn)
{
    private readonly ArrayBufferWriter<byte> _events = new(16 * 1024);
    private readonly List<(int Offset, int Length, string? Key)> _rows = [];
    private readonly TaskCompletionSource<ulong?> _delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Chunk[] _carriers = [];

    public RelationInfo Relation { get; } = relation;

    public Watermark Low { get; } = low;

    /// <summary>The low watermark's LSN: the rows' commit and end LSN (they are read at or after it).</summary>
    public ulong LowLsn { get; } = lowLsn;

    public int Count => _rows.Count;

    /// <summary>The last row's key in text form (key-ordered reads), for the next chunk's lower bound.</summary>
    public IReadOnlyList<string>? LastKey { get; set; }

    /// <summary>The first page of the next chunk (ctid reads).</summary>
    public long NextPage { get; set; }

    /// <summary>No row after this chunk: the marker follows its rows.</summary>
    public bool IsLast { get; set; }

    /// <summary>The encoded SnapshotEvent marker, on the last chunk.</summary>
    public byte[]? Marker { get; set; }

    /// <summary>Rows left out because their key changed inside the window (set by the pipeline).</summary>
    public int Dropped { get; set; }

    /// <summary>The high watermark transaction's end LSN once its rows are pushed; null when the chunk must be read again.</summary>
    public Task<ulong?> Delivered => _delivered.Task;

    public IBufferWriter<byte> Writer => _events;

    /// <summary>Records the event just written to <see cref="Writer"/> since <paramref name="start"/>.</summary>
    public void AddRow(int start, string? key) => _rows.Add((start, _events.WrittenCount - start, key));

    public int WrittenCount => _events.WrittenCount;

    public ReadOnlySpan<byte> Event(int row) => _events.WrittenSpan.Slice(_rows[row].Offset, _rows[row].Length);

    public string? Key(int row) => _rows[row].Key;

    /// <summary>The chunks of the ledger that carry the rows: the rows count as delivered once all are acknowledged.</summary>
    public void SetCarriers(Chunk[] carriers) => _carriers = carriers;

    public bool IsAcknowledged => Array.TrueForAll(_carriers, c => c.IsAcknowledged);

    public void SetDelivered(ulong endLsn) => _delivered.TrySetResult(endLsn);

    public void SetRetry() => _delivered.TrySetResult(null);
}
