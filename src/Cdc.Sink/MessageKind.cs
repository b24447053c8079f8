namespace Cdc.Sink;

/// <summary>
/// What a message does to the destination; the batch writer processes messages in blocks of one kind
/// (a message of another kind ends the current batch).
/// </summary>
public enum MessageKind : byte
{
    /// <summary>A relation (schema) change, published before the rows that use the new shape.</summary>
    MigrateTable,

    /// <summary>A row change (insert, update, delete) or a logical message; one ordered stream per table.</summary>
    WriteTable,

    /// <summary>A truncate.</summary>
    DeleteStale,
}
