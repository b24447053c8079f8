namespace Cdc.Sink;

/// <summary>
/// The published, not yet acknowledged messages in publish order, bounded by a capacity (the writer waits for room:
/// backpressure). Thread-safe: acks arrive on the connection's reader. The list is linked through the messages
/// themselves (<see cref="PendingMessage.Previous"/>, <see cref="PendingMessage.Next"/>): no node is allocated per
/// message, and one lock covers both the list and the count (one lock taken per message on each side).
/// <para>
/// A full window lets its waiting writer go only once <see cref="ResumeBelow"/> is reached, not at every ack: acks
/// come back one by one, and waking the writer for each freed slot costs a thread-pool hop per message.
/// </para>
/// <para>
/// Publish times come from the <see cref="TimeProvider"/> and are stamped under the lock as a message is added or
/// republished, so <see cref="OldestAge"/> never sees a message without one.
/// </para>
/// </summary>
internal sealed class InflightWindow
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private PendingMessage? _first;
    private PendingMessage? _last;
    private int _count;
    private TaskCompletionSource? _empty;
    private TaskCompletionSource? _room;

    public InflightWindow(int capacity, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        ResumeBelow = capacity - Math.Max(1, capacity / 16) + 1;
        _time = time ?? TimeProvider.System;
    }

    public int Capacity { get; }

    /// <summary>A writer waiting for room is let go when fewer than this many messages are in the window.</summary>
    public int ResumeBelow { get; }

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

    /// <summary>
    /// True when another message may be added. Read without the lock: only the one publisher adds, so the count it
    /// reads is at most stale high (an ack not yet seen), and room it has seen stays until it adds.
    /// </summary>
    public bool HasRoom => Volatile.Read(ref _count) < Capacity;

    /// <summary>Completes when the window has room again (below <see cref="ResumeBelow"/> once it was full).</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_count < Capacity)
            {
                return Task.CompletedTask;
            }

            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Appends a message about to be published, stamped with the current time. Call only when <see cref="HasRoom"/>.</summary>
    public void Add(PendingMessage message)
    {
        lock (_lock)
        {
            if (_count >= Capacity)
            {
                throw new InvalidOperationException("the window is full: wait for room first");
            }

            message.PublishedAt = _time.GetTimestamp();
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

    /// <summary>Stamps a message of the window with the current time: it is being republished.</summary>
    public void Restamp(PendingMessage message)
    {
        lock (_lock)
        {
            message.PublishedAt = _time.GetTimestamp();
        }
    }

    public void Remove(PendingMessage message)
    {
        TaskCompletionSource? empty = null;
        TaskCompletionSource? room = null;
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

            if (_room is not null && _count < ResumeBelow)
            {
                room = _room;
                _room = null;
            }
        }

        room?.TrySetResult();
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

    /// <summary>How long ago the oldest message of the window was (re)published; null when the window is empty.</summary>
    public TimeSpan? OldestAge()
    {
        lock (_lock)
        {
            return _first is { } first ? _time.GetElapsedTime(first.PublishedAt) : null;
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
