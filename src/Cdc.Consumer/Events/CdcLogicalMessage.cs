using Cdc.V1;

namespace Cdc.Consumer.Events;

/// <summary>
/// A logical decoding message (<c>pg_logical_emit_message</c>, PostgreSQL 14+), published on
/// <c>&lt;prefix&gt;.&lt;database&gt;._message.&lt;message prefix&gt;</c>.
/// </summary>
public sealed class CdcLogicalMessage : CdcEvent
{
    internal CdcLogicalMessage(CdcEventEnvelope envelope, ChangeEvent change)
        : base(envelope)
    {
        Change = change;
    }

    /// <summary>The carrying change event: transaction position (end LSN, index, xid, commit time).</summary>
    public ChangeEvent Change { get; }

    /// <summary>The message: prefix, content and whether it was transactional.</summary>
    public LogicalMessage Message => Change.Message;
}
