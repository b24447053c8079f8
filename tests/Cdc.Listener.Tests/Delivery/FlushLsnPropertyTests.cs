using Cdc.Listener.Delivery;

namespace Cdc.Listener.Tests.Delivery;

/// <summary>
/// Random transactions split into random chunks, pushed under a small budget and acknowledged (by message or by
/// chunk) in random order; after every step the flush LSN must be the end LSN of the longest fully acknowledged
/// prefix of transactions.
/// </summary>
public sealed class FlushLsnPropertyTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(1234)]
    public async Task FlushLsn_is_always_the_end_of_the_longest_fully_acknowledged_prefix(int seed)
    {
        var random = new Random(seed);
        const ulong initial = 1000;
        var transactions = Generate(random, count: 150, firstEnd: initial + 1);
        var chunks = transactions.SelectMany(t => t.Chunks).ToList();
        var ledger = new DeliveryLedger(new LedgerOptions { MaxInFlightBytes = 200 }, initial);
        var outstanding = new List<(Chunk Chunk, int Index)>();
        var unackedChunks = new List<Chunk>();
        var next = 0;
        Task? waiting = null;
        Chunk? waitingChunk = null;

        while (next < chunks.Count || waiting is not null || outstanding.Count > 0)
        {
            var canPush = waiting is null && next < chunks.Count;
            if (canPush && (outstanding.Count == 0 || random.Next(3) == 0))
            {
                var chunk = chunks[next++];
                var push = ledger.PushAsync(chunk).AsTask();
                if (push.IsCompleted)
                {
                    await push;
                    Admitted(chunk);
                }
                else
                {
                    Assert.True(ledger.IsWaiting);
                    waiting = push;
                    waitingChunk = chunk;
                }
            }
            else if (outstanding.Count > 0)
            {
                bool completedTransaction;
                Chunk acked;
                if (random.Next(4) == 0)
                {
                    // A whole-chunk ack for whatever is left of a random chunk.
                    acked = unackedChunks[random.Next(unackedChunks.Count)];
                    outstanding.RemoveAll(o => o.Chunk == acked);
                    completedTransaction = ledger.Ack(acked);
                }
                else
                {
                    var pick = random.Next(outstanding.Count);
                    (acked, var index) = outstanding[pick];
                    outstanding[pick] = outstanding[^1];
                    outstanding.RemoveAt(outstanding.Count - 1);
                    completedTransaction = ledger.AckMessage(acked[index]);
                }

                if (acked.IsAcknowledged)
                {
                    unackedChunks.Remove(acked);
                }

                var transaction = transactions.Single(t => t.Sequence == acked.TransactionSequence);
                Assert.Equal(transaction.IsDelivered, completedTransaction);

                if (waiting is not null && !ledger.IsWaiting)
                {
                    // Admitted under the lock by the ack; the task completes on the thread pool.
                    await waiting.WaitAsync(Hang);
                    Admitted(waitingChunk!);
                    waiting = null;
                }
            }

            AssertState(ledger, transactions, initial, unackedChunks);
        }

        Assert.Equal(transactions[^1].EndLsn, ledger.Tracker.FlushLsn);
        Assert.Equal(0, ledger.Tracker.InFlightBytes);
        Assert.Equal(chunks.Count(c => c.Count > 0), ledger.Counters.AckedChunks);

        void Admitted(Chunk chunk)
        {
            if (chunk.Count == 0)
            {
                return;
            }

            unackedChunks.Add(chunk);
            for (var i = 0; i < chunk.Count; i++)
            {
                outstanding.Add((chunk, i));
            }
        }
    }

    private static void AssertState(DeliveryLedger ledger, List<Transaction> transactions, ulong initial, List<Chunk> unackedChunks)
    {
        var expected = initial;
        foreach (var transaction in transactions)
        {
            if (!transaction.IsDelivered)
            {
                break;
            }

            expected = transaction.EndLsn;
        }

        Assert.Equal(expected, ledger.Tracker.FlushLsn);
        long bytes = 0;
        foreach (var chunk in unackedChunks)
        {
            bytes += chunk.ByteSize;
        }

        Assert.Equal(bytes, ledger.Tracker.InFlightBytes);
        Assert.Equal(unackedChunks.Count, ledger.Tracker.PendingChunks);
    }

    private static List<Transaction> Generate(Random random, int count, ulong firstEnd)
    {
        var transactions = new List<Transaction>(count);
        var end = firstEnd;
        for (var sequence = 1; sequence <= count; sequence++)
        {
            var transaction = new Transaction(sequence, end);
            var messages = random.Next(6) == 0 ? 0 : random.Next(1, 12);
            var index = 0;

            // Chunks of 0..4 messages: empty chunks may sit anywhere, an empty transaction is one empty chunk.
            do
            {
                var size = Math.Min(messages - index, random.Next(0, 5));
                var last = index + size == messages;
                var chunk = new Chunk(sequence, end - 1, end, index, last, size);
                for (var i = 0; i < size; i++)
                {
                    chunk.Add(TestChunks.Message(chunk, $"{end}:{index + i}", random.Next(0, 80)));
                }

                transaction.Chunks.Add(chunk);
                index += size;
            }
            while (index < messages);

            transactions.Add(transaction);
            end += (ulong)random.Next(1, 500);
        }

        return transactions;
    }

    private sealed class Transaction(long sequence, ulong endLsn)
    {
        public long Sequence { get; } = sequence;

        public ulong EndLsn { get; } = endLsn;

        public List<Chunk> Chunks { get; } = [];

        public bool IsDelivered
        {
            get
            {
                foreach (var chunk in Chunks)
                {
                    if (!chunk.IsPushed || !chunk.IsAcknowledged)
                    {
                        return false;
                    }
                }

                return true;
            }
        }
    }
}
