using Cdc.Listener.Configuration;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// The listener's session as a whole: its state, the errors it met, when it started and what it is
/// (<see cref="Instance"/>). Written by the supervisor (and by whoever meets an error); read by <c>/status</c>, the
/// health checks and <see cref="ListenerInstruments"/>.
/// </summary>
/// <param name="time">The clock of start time and uptime; the system clock unless a test gives a fake one.</param>
public sealed class SessionStatus(TimeProvider? time = null)
{
    private long _errors;
    private string? _lastError;
    private string _state = "starting";
    private InstanceDescription _instance = new();

    public DateTimeOffset StartedAt { get; } = (time ?? TimeProvider.System).GetUtcNow();

    /// <summary>The clock every reader of the live numbers uses (uptime, lag, change rate).</summary>
    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    /// <summary>starting, connecting, snapshot, streaming, standby (slot held by another instance), reconnecting, draining, stopped.</summary>
    public string State
    {
        get => Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, value);
    }

    /// <summary>What this instance is; replaced whole, never changed in place.</summary>
    public InstanceDescription Instance
    {
        get => Volatile.Read(ref _instance);
        set => Volatile.Write(ref _instance, value);
    }

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The newest error's message, with URL secrets masked.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    public void CountError(string message)
    {
        Interlocked.Increment(ref _errors);
        Volatile.Write(ref _lastError, UrlRedaction.RedactOrNull(message));
    }
}
