namespace Cdc.Listener.Replication.Wire;

/// <summary>
/// The authentication exchange with the server broke in a way the server did not report itself: a malformed
/// SCRAM server-first message, a server nonce that does not extend ours, a server signature that does not
/// prove knowledge of the password, an unsupported mechanism. A server <c>ErrorResponse</c> (wrong password,
/// no pg_hba entry) is reported elsewhere with its SQLSTATE.
/// </summary>
/// <remarks>
/// Never transient: retrying the same exchange against the same server fails the same way, and a server that
/// cannot prove it knows the password may be an impostor, so reconnecting in a loop would only hide that.
/// Messages never contain the password or derived keys.
/// </remarks>
public sealed class PgAuthenticationException(string message, Exception? inner = null)
    : CdcException(message, isTransient: false, inner);
