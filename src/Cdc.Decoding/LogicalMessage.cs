namespace Cdc.Decoding;

/// <summary>
/// A logical decoding message (<c>pg_logical_emit_message</c>, PostgreSQL 14+ with <c>messages</c> on).
/// Reused by the decoder: valid only during <see cref="IChangeHandler.OnChange"/>.
/// </summary>
public sealed class LogicalMessage
{
    /// <summary>True when emitted as part of a transaction; false for a non-transactional message (delivered on its own).</summary>
    public bool Transactional { get; internal set; }

    /// <summary>The LSN of the message record.</summary>
    public Lsn Lsn { get; internal set; }

    public string Prefix { get; internal set; } = string.Empty;

    /// <summary>The content bytes; they point into the decoder's buffers, copy them to keep them.</summary>
    public ReadOnlyMemory<byte> Content { get; internal set; }
}
