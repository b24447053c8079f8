namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// The server broke the wire protocol (a corrupt length, an unexpected message, a truncated body). Transient:
/// a new connection starts clean, and the slot keeps everything not confirmed.
/// </summary>
public sealed class PgProtocolException(string message, Exception? innerException = null)
    : CdcException(message, isTransient: true, innerException);
