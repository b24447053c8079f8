namespace Cdc.Listener.Hosting;

/// <summary>
/// The first start on a slot could not reach the sink within <see cref="ReplicationSupervisor.FirstStartSinkWait"/>: Cdc stops
/// (fatal) before it creates the slot, which would hold WAL with nobody reading it. Once a slot exists, a sink outage
/// at start is waited out instead.
/// </summary>
public sealed class FirstStartException(string message, Exception innerException)
    : CdcException(message, isTransient: false, innerException);
