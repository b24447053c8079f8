using Cdc.V1;

namespace Cdc.Consumer.Events;

/// <summary>A row change (insert, update, delete) or a truncate.</summary>
public sealed class CdcChangeEvent : CdcEvent
{
    internal CdcChangeEvent(CdcEventEnvelope envelope, ChangeEvent change)
        : base(envelope)
    {
        Change = change;
    }

    /// <summary>The change as Cdc published it.</summary>
    public ChangeEvent Change { get; }

    /// <summary>Shortcut for <c>Change.Operation</c>.</summary>
    public Operation Operation => Change.Operation;
}
