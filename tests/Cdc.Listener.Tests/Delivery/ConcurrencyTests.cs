using System.Threading.Channels;
using Cdc.Listener.Delivery;
using Cdc.Sink;

namespace Cdc.Listener.Tests.Delivery;

/// <summary>One producer pushes under a tight budget while several threads ack messages in racing order.</summary>
public sealed class ConcurrencyTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Many_threads_acking_while_one_pushes_deliver_everything_and_the_flush_lsn_never_passes_an_unacked_message()
    {
        const int transactions = 3000;
        const int ackers = 4;
        var ledger = new DeliveryLedger(new LedgerOptions { MaxInFlightBytes = 2000 });
        var random = new Random(17);
        var plan = new List<Chunk>();
        var ends = new ulong[transactions + 1];
        var firstChunkOf = new int[transactions + 1];
        for (var sequence = 1; sequence <= transactions; sequence++)
        {
            var end = (ulong)sequence * 16;
            ends[sequence] = end;
            firstChunkOf[sequence] = plan.Count;
            var messages = random.Next(1, 9);
            var index = 0;
            while (index < messages)
            {
                var size = Math.Min(messages - index, random.Next(1, 4));
                var chunk = new Chunk(sequence, end - 1, end, index, index + size == messages, size);
                for (var i = 0; i < size; i++)
                {
                    chunk.Add(TestChunks.Message(chunk, $"{end}:{index + i}", random.Next(1, 100)));
                }

                plan.Add(chunk);
                index += size;
            }
        }

        // Set before the ack call, so once the flush LSN reaches a transaction every message of it must be marked.
        var ackedBeforeCall = new HashSet<OutboundMessage>();
        var toAck = Channel.CreateUnbounded<OutboundMessage>();
        long completions = 0;

        var ackTasks = new Task[ackers];
        for (var a = 0; a < ackers; a++)
        {
            var seed = a;
            ackTasks[a] = Task.Run(async () =>
            {
                var local = new Random(seed);
                var held = new List<OutboundMessage>();
                while (await toAck.Reader.WaitToReadAsync())
                {
                    while (held.Count < 8 && toAck.Reader.TryRead(out var message))
                    {
                        held.Add(message);
                    }

                    // Ack a random one of the held messages so the order races across chunks and transactions.
                    while (held.Count > 0)
                    {
                        var pick = local.Next(held.Count);
                        var message = held[pick];
                        held.RemoveAt(pick);
                        lock (ackedBeforeCall)
                        {
                            ackedBeforeCall.Add(message);
                        }

                        if (ledger.AckMessage(message))
                        {
                            Interlocked.Increment(ref completions);
                        }
                    }
                }
            });
        }

        var violations = new List<string>();
        using var stopWatching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            var seen = 0UL;
            try
            {
                while (seen < ends[transactions])
                {
                    var flush = await ledger.Tracker.WaitForAdvanceAsync(seen, stopWatching.Token);
                    if (flush <= seen)
                    {
                        violations.Add($"flush went from {seen} to {flush}");
                    }

                    var last = (int)(flush / 16);
                    for (var chunk = 0; chunk < plan.Count && plan[chunk].TransactionSequence <= last; chunk++)
                    {
                        for (var i = 0; i < plan[chunk].Count; i++)
                        {
                            lock (ackedBeforeCall)
                            {
                                if (!ackedBeforeCall.Contains(plan[chunk][i]))
                                {
                                    violations.Add($"flush {flush} passed an unacked message of transaction {plan[chunk].TransactionSequence}");
                                }
                            }
                        }
                    }

                    seen = flush;
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        foreach (var chunk in plan)
        {
            await ledger.PushAsync(chunk);
            Assert.True(ledger.Tracker.InFlightBytes <= 2000 || ledger.Tracker.PendingChunks == 1);
            for (var i = 0; i < chunk.Count; i++)
            {
                await toAck.Writer.WriteAsync(chunk[i]);
            }
        }

        toAck.Writer.Complete();
        await Task.WhenAll(ackTasks).WaitAsync(Hang);
        await watcher.WaitAsync(Hang);

        Assert.Empty(violations);
        Assert.Equal(ends[transactions], ledger.Tracker.FlushLsn);
        Assert.Equal(transactions, Interlocked.Read(ref completions));
        Assert.Equal(0, ledger.Tracker.InFlightBytes);
        Assert.Equal(0, ledger.Tracker.PendingChunks);
        Assert.Equal(0, ledger.Tracker.PendingTransactions);
        var counters = ledger.Counters;
        Assert.Equal(plan.Count, counters.AckedChunks);
        Assert.Equal(counters.PushedBytes, counters.AckedBytes);
        Assert.Equal(counters.PushedMessages, counters.AckedMessages);
        Assert.Equal(0, counters.DuplicateAcks);
        Assert.True(counters.PushWaits > 0, "the budget never made the producer wait; the test would not exercise wake-ups");
    }

    [Fact]
    public async Task Racing_duplicate_acks_of_one_message_succeed_exactly_once()
    {
        var ledger = new DeliveryLedger();
        var chunk = TestChunks.Whole(1, 100, messages: 100);
        await ledger.PushAsync(chunk);
        var successes = 0;
        var duplicates = 0;
        using var start = new Barrier(4);

        var threads = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < chunk.Count; i++)
            {
                try
                {
                    ledger.AckMessage(chunk[i]);
                    Interlocked.Increment(ref successes);
                }
                catch (DuplicateAckException)
                {
                    Interlocked.Increment(ref duplicates);
                }
            }
        })).ToArray();
        await Task.WhenAll(threads).WaitAsync(Hang);

        Assert.Equal(100, successes);
        Assert.Equal(300, duplicates);
        Assert.Equal(300, ledger.Counters.DuplicateAcks);
        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
        Assert.Equal(1, ledger.Counters.AckedChunks);
    }
}
