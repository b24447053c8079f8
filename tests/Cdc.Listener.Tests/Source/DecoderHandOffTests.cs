using System.IO.Pipelines;
using Cdc.Listener.Source;

namespace Cdc.Listener.Tests.Source;

/// <summary>
/// The frame pipe's reader scheduler: the decoder runs on the read loop's thread only inside the flush the read loop makes
/// before it waits for the network, and only on that thread; every other hand-off goes to the thread pool.
/// </summary>
public sealed class DecoderHandOffTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_flush_before_waiting_runs_the_waiting_decoder_on_the_read_loops_thread_before_it_returns()
    {
        var handOff = new DecoderHandOff();
        var pipe = new Pipe(new PipeOptions(readerScheduler: handOff, useSynchronizationContext: false));
        var decoderThread = 0;
        var decoder = Task.Run(async () =>
        {
            var read = await pipe.Reader.ReadAsync();
            decoderThread = Environment.CurrentManagedThreadId;
            pipe.Reader.AdvanceTo(read.Buffer.End);
        });
        await DecoderWaitingAsync();

        var readLoopThread = await Task.Run(async () =>
        {
            pipe.Writer.GetSpan(1)[0] = 1;
            pipe.Writer.Advance(1);
            await handOff.FlushBeforeWaitingAsync(pipe.Writer, CancellationToken.None);
            Assert.Equal(Environment.CurrentManagedThreadId, Volatile.Read(ref decoderThread)); // ran inside the flush
            return Environment.CurrentManagedThreadId;
        });

        await decoder.WaitAsync(Wait);
        Assert.Equal(readLoopThread, decoderThread);
    }

    [Fact]
    public async Task Any_other_flush_queues_the_decoder_to_the_thread_pool()
    {
        var handOff = new DecoderHandOff();
        var pipe = new Pipe(new PipeOptions(readerScheduler: handOff, useSynchronizationContext: false));
        var decoderThread = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new ManualResetEventSlim();
        _ = Task.Run(async () =>
        {
            var read = await pipe.Reader.ReadAsync();
            decoderThread.SetResult(Environment.CurrentManagedThreadId);
            pipe.Reader.AdvanceTo(read.Buffer.End);
        });
        await DecoderWaitingAsync();

        var flushThread = 0;
        var flusher = new Thread(() =>
        {
            flushThread = Environment.CurrentManagedThreadId;
            pipe.Writer.GetSpan(1)[0] = 1;
            pipe.Writer.Advance(1);
            _ = pipe.Writer.FlushAsync().AsTask();
            release.Wait(Wait); // a dedicated thread kept busy: the decoder cannot have run on it after the flush either
        });
        flusher.Start();

        var ranOn = await decoderThread.Task.WaitAsync(Wait);
        release.Set();
        flusher.Join();
        Assert.NotEqual(flushThread, ranOn);
    }

    /// <summary>
    /// While the read loop is inside its flush, a hand-off from another thread (a cancellation callback, say) must not run
    /// the decoder inside that thread's call: inline is tied to the read loop's thread, not to a moment.
    /// </summary>
    [Fact]
    public async Task A_hand_off_from_another_thread_during_the_flush_still_goes_to_the_thread_pool()
    {
        var handOff = new DecoderHandOff();
        var pipe = new Pipe(new PipeOptions(readerScheduler: handOff, useSynchronizationContext: false));
        var otherThread = 0;
        var ranOn = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var decoder = Task.Run(async () =>
        {
            var read = await pipe.Reader.ReadAsync();
            pipe.Reader.AdvanceTo(read.Buffer.End);

            // Runs inline, inside FlushBeforeWaitingAsync: another thread hands off meanwhile.
            var other = new Thread(() =>
            {
                otherThread = Environment.CurrentManagedThreadId;
                handOff.Schedule(_ => ranOn.TrySetResult(Environment.CurrentManagedThreadId), null);
            });
            other.Start();
            other.Join();
        });
        await DecoderWaitingAsync();

        await Task.Run(async () =>
        {
            pipe.Writer.GetSpan(1)[0] = 1;
            pipe.Writer.Advance(1);
            await handOff.FlushBeforeWaitingAsync(pipe.Writer, CancellationToken.None);
        });

        await decoder.WaitAsync(Wait);
        Assert.NotEqual(otherThread, await ranOn.Task.WaitAsync(Wait));
    }

    /// <summary>Gives the decoder time to wait on the empty pipe, so that the flush completes its read (not a read that finds data at once).</summary>
    private static Task DecoderWaitingAsync()
    {
        return Task.Delay(TimeSpan.FromMilliseconds(100));
    }
}
