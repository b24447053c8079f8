namespace Cdc.Sink.Nats;

/// <summary>Follows a <see cref="NatsConnection"/>'s state changes as an <see cref="ISinkHealth"/>.</summary>
internal sealed class ConnectionHealth : ISinkHealth, IDisposable
{
    private readonly NatsConnection _connection;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private DateTimeOffset? _disconnectedSince;
    private string? _lastError;

    public ConnectionHealth(NatsConnection connection, TimeProvider? time = null)
    {
        _connection = connection;
        _time = time ?? TimeProvider.System;
        _disconnectedSince = connection.State == NatsConnectionState.Connected ? null : _time.GetUtcNow();
        connection.StateChanged += OnStateChanged;
    }

    public bool IsConnected => _connection.State == NatsConnectionState.Connected;

    public DateTimeOffset? DisconnectedSince
    {
        get
        {
            lock (_lock)
            {
                return IsConnected ? null : _disconnectedSince;
            }
        }
    }

    public string? LastConnectionError
    {
        get
        {
            lock (_lock)
            {
                return _lastError;
            }
        }
    }

    private void OnStateChanged(object? sender, NatsConnectionStateChangedEventArgs e)
    {
        lock (_lock)
        {
            if (e.Current == NatsConnectionState.Connected)
            {
                _disconnectedSince = null;
            }
            else
            {
                _disconnectedSince ??= _time.GetUtcNow();
            }

            if (e.Error is not null)
            {
                _lastError = e.Error.Message;
            }
        }
    }

    public void Dispose() => _connection.StateChanged -= OnStateChanged;
}
