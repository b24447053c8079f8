using System.IO.Pipelines;

namespace Cdc.Listener.Source;

/// <summary>
/// The frame pipe's reader scheduler: how the decoder gets what the read loop flushed. A flush made just before the read
/// loop waits for the network runs the decoder on the read loop's thread, which would otherwise only go idle (its next
/// read is already posted: frames that arrive meanwhile are read on another thread). Any other flush (every 256 KiB of
/// a backlog) queues the decoder to the thread pool, so that reading and decoding overlap. At a moderate rate this is
/// one thread-pool wake-up fewer per transaction.
/// </summary>
internal sealed class DecoderHandOff : PipeScheduler
{
    /// <summary>
    /// The read loop's managed thread id during the synchronous part of its flush before waiting; 0 otherwise. A thread id,
    /// not a flag: a schedule from another thread meanwhile (a cancellation callback) must not run the decoder inside it.
    /// </summary>
    private int _inlineThread;

    public override void Schedule(Action<object?> action, object? state)
    {
        if (Volatile.Read(ref _inlineThread) == Environment.CurrentManagedThreadId)
        {
            action(state);
        }
        else
        {
            ThreadPool.Schedule(action, state);
        }
    }

    /// <summary>Flushes what the read loop wrote; a decoder waiting for frames runs on this thread before it returns.</summary>
    public ValueTask<FlushResult> FlushBeforeWaitingAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _inlineThread, Environment.CurrentManagedThreadId);
        try
        {
            return output.FlushAsync(cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _inlineThread, 0);
        }
    }
}
