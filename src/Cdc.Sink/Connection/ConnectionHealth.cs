using NATS.Client.Core;

namespace Cdc.Sink.Connection;

/// <summary>Follows a NATS.Net connection's open/disconnect/reconnect-failed events: the connection part of the writer's <see cref="ISinkHealth"/>.</summary>
internal sealed class ConnectionHealth : IDisposable
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
        _disconnectedSince = connection.ConnectionState == NatsConnectionState.Open ? null : _time.GetUtcNow();
        connection.ConnectionOpened += OnOpened;
        connection.ConnectionDisconnected += OnDisconnected;
        connection.ReconnectFailed += OnReconnectFailed;
    }

    public bool IsConnected => _connection.ConnectionState == NatsConnectionState.Open;

    public DateTimeOffset? DisconnectedSince
    {
        get
        {
            lock (_lock)
            {
                return IsConnected ? null : _disconnectedSince ?? _time.GetUtcNow();
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

    private ValueTask OnOpened(object? sender, NatsEventArgs e)
    {
        lock (_lock)
        {
            _disconnectedSince = null;
        }

        return ValueTask.CompletedTask;
    }

    private ValueTask OnDisconnected(object? sender, NatsEventArgs e)
    {
        lock (_lock)
        {
            _disconnectedSince ??= _time.GetUtcNow();
            _lastError = "disconnected from " + ServerUrl.Redact(e.Message);
        }

        return ValueTask.CompletedTask;
    }

    private ValueTask OnReconnectFailed(object? sender, NatsEventArgs e)
    {
        lock (_lock)
        {
            _disconnectedSince ??= _time.GetUtcNow();
            _lastError = "reconnect failed: " + ServerUrl.Redact(e.Message);
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        _connection.ConnectionOpened -= OnOpened;
        _connection.ConnectionDisconnected -= OnDisconnected;
        _connection.ReconnectFailed -= OnReconnectFailed;
    }
}
