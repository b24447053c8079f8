namespace Cdc.Listener.Configuration;

/// <summary>The outbox relay (<c>Cdc:Outbox</c>): tables whose inserted rows are published as the messages they carry.</summary>
public sealed class OutboxSection
{
    /// <summary>
    /// Outbox tables (<c>schema.table</c>, or <c>table</c> in <c>public</c>). Each must have the Debezium outbox shape or the
    /// streams egress shape (docs/outbox.md); the shape is recognised from the columns.
    /// </summary>
    public List<string> Tables { get; set; } = [];

    /// <summary>Delete a row once every message it carries is acknowledged by JetStream (in batches, on a separate connection).</summary>
    public bool DeleteRelayed { get; set; }

    /// <summary>Most rows one clean-up statement deletes.</summary>
    public int DeleteBatchRows { get; set; } = 500;

    /// <summary>Also publish the outbox tables' row changes (ChangeEvents), as for any other table.</summary>
    public bool PublishRowChanges { get; set; }
}
