namespace Cdc.Sink;

/// <summary>
/// The published, not yet acknowledged messages in publish order, bounded by a number of slots
/// (the writer waits for a slot: backpressure). Thread-safe: acks arrive on the connection's reader.
/// The list is linked through the messages themselves (<see cref="PendingMessage.Previous"/>,
/// <see cref="PendingMessage.Next"/>): no node is allocated per message.
/// </summary>
internal sealed class InflightWindow
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _slots;
    private PendingMessage? _first;
    private PendingMessage? _last;
    private int _count;
    private TaskCompletionSource? _empty;

    public InflightWindow(int capacity)
    {
        _slots = new SemaphoreSlim(capacity, capacity);
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public bool TryAcquire() => _slots.Wait(0);

    public Task AcquireAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    /// <summary>Gives back a slot taken for a message that was never added.</summary>
    public void ReleaseSlot() => _slots.Release();

    public void Add(PendingMessage message)
    {
        lock (_lock)
        {
            message.Previous = _last;
            message.Next = null;
            if (_last is null)
            {
                _first = message;
            }
            else
            {
                _last.Next = message;
            }

            _last = message;
            message.InWindow = true;
            _count++;
        }
    }

    public void Remove(PendingMessage message)
    {
        TaskCompletionSource? empty = null;
        lock (_lock)
        {
            if (!message.InWindow)
            {
                return;
            }

            Unlink(message);
            if (_count == 0)
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
        lock (_lock)
        {
            var snapshot = new PendingMessage[_count];
            var i = 0;
            for (var message = _first; message is not null; message = message.Next)
            {
                snapshot[i++] = message;
            }

            return snapshot;
        }
    }

    public long? OldestPublishedAt()
    {
        lock (_lock)
        {
            return _first?.PublishedAt;
        }
    }

    /// <summary>Completes when every message in the window has been acknowledged (or failed).</summary>
    public Task WaitEmptyAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return Task.CompletedTask;
            }

            _empty ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _empty.Task.WaitAsync(cancellationToken);
        }
    }

    private void Unlink(PendingMessage message)
    {
        if (message.Previous is null)
        {
            _first = message.Next;
        }
        else
        {
            message.Previous.Next = message.Next;
        }

        if (message.Next is null)
        {
            _last = message.Previous;
        }
        else
        {
            message.Next.Previous = message.Previous;
        }

        message.Previous = null;
        message.Next = null;
        message.InWindow = false;
        _count--;
    }
}
