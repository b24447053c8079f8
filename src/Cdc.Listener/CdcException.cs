namespace Cdc.Listener;

/// <summary>
/// Root of the listener's errors. <see cref="IsTransient"/> drives retry with backoff: a transient
/// error (network drop, server restart) is retried; a fatal one stops the host with a one-line reason.
/// </summary>
public class CdcException : Exception
{
    public CdcException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
    }

    public bool IsTransient { get; }
}

/// <summary>A configuration value is missing or out of range; names the key and what is accepted.</summary>
public sealed class CdcConfigurationException(string message) : CdcException(message, isTransient: false);

/// <summary>The server is not set up for logical replication or refused what Cdc needs (fatal).</summary>
public sealed class ReplicationSetupException(string message, Exception? innerException = null)
    : CdcException(message, isTransient: false, innerException);

/// <summary>The replication stream failed in a way a reconnect can fix.</summary>
public sealed class ReplicationInterruptedException(string message, Exception? innerException = null)
    : CdcException(message, isTransient: true, innerException);
