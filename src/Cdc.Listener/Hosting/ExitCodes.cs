namespace Cdc.Listener.Hosting;

/// <summary>Process exit codes of the cdc command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A fatal condition stopped the sidecar (slot invalidated, login refused, sink rejected a change...).</summary>
    public const int Fatal = 1;

    /// <summary>A configuration value is missing or out of range.</summary>
    public const int BadConfiguration = 2;

    /// <summary><c>cdc status</c>: running but lagging.</summary>
    public const int Lagging = 3;

    /// <summary><c>cdc status</c>: the sidecar is not running.</summary>
    public const int Down = 4;

    /// <summary>
    /// <c>cdc status</c>: the sidecar runs but cannot deliver (its sink is not connected to NATS), or PostgreSQL could
    /// not be read with the command's own <c>--connection</c>, so health cannot be judged.
    /// </summary>
    public const int Degraded = 5;
}
