namespace Cdc.Sink;

/// <summary>
/// The published, not yet acknowledged messages in publish order, bounded by a number of slots
/// (the writer waits for a slot: backpressure). Thread-safe: acks arrive on the connection's reader.
/// </summary>
internal sealed class InflightWindow
{
    private readonly LinkedList<PendingMessage> _messages = new();
    private readonly SemaphoreSlim _slots;
    private TaskCompletionSource? _empty;

    public InflightWindow(int capacity)
    {
        _slots = new SemaphoreSlim(capacity, capacity);
    }

    public int Count
    {
        get
        {
            lock (_messages)
            {
                return _messages.Count;
            }
        }
    }

    public bool TryAcquire() => _slots.Wait(0);

    public Task AcquireAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    /// <summary>Gives back a slot taken for a message that was never added.</summary>
    public void ReleaseSlot() => _slots.Release();

    public void Add(PendingMessage message)
    {
        lock (_messages)
        {
            message.Node = _messages.AddLast(message);
        }
    }

    public void Remove(PendingMessage message)
    {
        TaskCompletionSource? empty = null;
        lock (_messages)
        {
            if (message.Node is not { List: not null } node)
            {
                return;
            }

            _messages.Remove(node);
            if (_messages.Count == 0)
            {
                empty = _empty;
                _empty = null;
            }
        }

        _slots.Release();
        empty?.TrySetResult();
    }

    public PendingMessage[] Snapshot()
    {
        lock (_messages)
        {
            return [.. _messages];
        }
    }

    public long? OldestPublishedAt()
    {
        lock (_messages)
        {
            return _messages.First?.Value.PublishedAt;
        }
    }

    /// <summary>Completes when every message in the window has been acknowledged (or failed).</summary>
    public Task WaitEmptyAsync(CancellationToken cancellationToken)
    {
        lock (_messages)
        {
            if (_messages.Count == 0)
            {
                return Task.CompletedTask;
            }

            _empty ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _empty.Task.WaitAsync(cancellationToken);
        }
    }
}
