using System.Text.Json.Serialization;

namespace Cdc.Listener.Backfill;

/// <summary>
/// A backfill's durable state, as kept in the progress store: what to read and where the last acknowledged chunk
/// ended. Written after each chunk's rows are acknowledged by JetStream, so a restarted Cdc reads the next chunk
/// after the last acknowledged one (rows of a chunk cut short are read again: at least once).
/// </summary>
internal sealed record BackfillJob
{
    /// <summary>The signal's LSN in hex: a request replayed after a crash is recognised as the same job.</summary>
    public required string Id { get; init; }

    public required string Schema { get; init; }

    public required string Table { get; init; }

    public string? Where { get; init; }

    /// <summary>The last key read by an acknowledged chunk, each key column in its text form; null before the first.</summary>
    public IReadOnlyList<string>? LastKey { get; init; }

    /// <summary>For a table read in ctid ranges: the first page the next chunk reads.</summary>
    public long NextPage { get; init; }

    /// <summary>Acknowledged chunks.</summary>
    public long Chunks { get; init; }

    /// <summary>Rows read by acknowledged chunks (including those dropped for a newer streamed change).</summary>
    public long RowsDone { get; init; }

    /// <summary>The first low watermark's LSN: the position the backfill started from, carried by the final marker.</summary>
    public ulong StartLsn { get; init; }

    public long StartedUnixMs { get; init; }

    [JsonIgnore]
    public string QualifiedName => Schema + "." + Table;
}
