namespace Cdc.Sink.Nats;

public enum NatsConnectionState
{
    Disconnected,
    Connecting,
    Connected,
    Reconnecting,

    /// <summary>Disposed, or reconnect attempts exhausted: final.</summary>
    Closed,
}

public sealed class NatsConnectionStateChangedEventArgs : EventArgs
{
    public NatsConnectionStateChangedEventArgs(NatsConnectionState previous, NatsConnectionState current, string? server, Exception? error)
    {
        Previous = previous;
        Current = current;
        Server = server;
        Error = error;
    }

    public NatsConnectionState Previous { get; }

    public NatsConnectionState Current { get; }

    /// <summary>The server (without credentials) the connection is or was on.</summary>
    public string? Server { get; }

    /// <summary>Why the connection was lost, if it was.</summary>
    public Exception? Error { get; }
}
