using Cdc.Listener.Delivery;
using Cdc.Sink;
using static Cdc.Listener.Tests.Delivery.TestChunks;

namespace Cdc.Listener.Tests.Delivery;

public sealed class DedupeBufferTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private static DedupeKey Key(int row) => new("public.t", row.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Pushes a one-message transaction and queues its message under the key.</summary>
    private static async Task<OutboundMessage> PushOne(DeliveryLedger ledger, DedupeBuffer buffer, long sequence, DedupeKey? key, int bytes = 10)
    {
        var chunk = Whole(sequence, (ulong)sequence * 100, messages: 1, bytesPerMessage: bytes);
        await ledger.PushAsync(chunk);
        buffer.Add(chunk[0], key);
        return chunk[0];
    }

    [Fact]
    public async Task Add_keeps_only_the_latest_pending_change_per_key()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);
        var latest = new OutboundMessage[10];
        for (var i = 1; i <= 100; i++)
        {
            latest[i % 10] = await PushOne(ledger, buffer, i, Key(i % 10));
        }

        Assert.Equal(10, buffer.Count);
        Assert.Equal(90, buffer.SupersededCount);
        Assert.Equal(90, ledger.Counters.SupersededMessages);

        // The survivors come out in the order their latest change arrived.
        for (var i = 91; i <= 100; i++)
        {
            Assert.True(buffer.TryTake(out var taken));
            Assert.Same(latest[i % 10], taken);
        }

        Assert.False(buffer.TryTake(out _));
    }

    [Fact]
    public async Task Superseded_changes_count_as_delivered_so_the_flush_lsn_follows_the_latest_pending_ones()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);
        await PushOne(ledger, buffer, 1, Key(1));
        await PushOne(ledger, buffer, 2, Key(2));
        Assert.Equal(0UL, ledger.Tracker.FlushLsn);

        await PushOne(ledger, buffer, 3, Key(1));

        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
        Assert.Equal(20, ledger.Tracker.InFlightBytes);

        Assert.True(buffer.TryTake(out var key2));
        ledger.AckMessage(key2);
        Assert.True(buffer.TryTake(out var key1));
        ledger.AckMessage(key1);
        Assert.Equal(300UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task Superseding_frees_budget_so_a_sink_that_never_acks_does_not_block_the_producer()
    {
        // Room for the latest change of each of the 10 keys plus the one being pushed (which supersedes).
        var ledger = new DeliveryLedger(new LedgerOptions { MaxInFlightBytes = 110 });
        var buffer = new DedupeBuffer(ledger);

        for (var i = 1; i <= 1000; i++)
        {
            var chunk = Whole(i, (ulong)i * 100, messages: 1, bytesPerMessage: 10);
            Assert.True(CompletedSynchronously(ledger.PushAsync(chunk)), $"push {i} had to wait");
            buffer.Add(chunk[0], Key(i % 10));
        }

        Assert.Equal(10, buffer.Count);
        Assert.Equal(100, ledger.Tracker.InFlightBytes);
        Assert.Equal(99_000UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task Messages_without_a_key_are_never_dropped()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);
        for (var i = 1; i <= 5; i++)
        {
            await PushOne(ledger, buffer, i, key: null);
        }

        Assert.Equal(5, buffer.Count);
        Assert.Equal(0, buffer.SupersededCount);
    }

    [Fact]
    public async Task A_superseding_change_goes_behind_what_was_queued_in_between()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);
        await PushOne(ledger, buffer, 1, Key(1));
        var truncate = await PushOne(ledger, buffer, 2, key: null);
        var update = await PushOne(ledger, buffer, 3, Key(1));

        Assert.True(buffer.TryTake(out var first));
        Assert.True(buffer.TryTake(out var second));

        Assert.Same(truncate, first);
        Assert.Same(update, second);
    }

    [Fact]
    public async Task A_change_already_taken_for_sending_is_not_superseded()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);
        var sent = await PushOne(ledger, buffer, 1, Key(1));
        Assert.True(buffer.TryTake(out _));

        await PushOne(ledger, buffer, 2, Key(1));

        Assert.Equal(0, buffer.SupersededCount);
        Assert.Equal(1, buffer.Count);
        Assert.Equal(0UL, ledger.Tracker.FlushLsn);
        ledger.AckMessage(sent);
        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task A_change_superseded_within_its_own_transaction_waits_for_its_successor()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);
        var chunk = Whole(1, 100, messages: 2);
        await ledger.PushAsync(chunk);
        buffer.Add(chunk[0], Key(1));
        buffer.Add(chunk[1], Key(1));

        Assert.Equal(0UL, ledger.Tracker.FlushLsn);
        Assert.True(buffer.TryTake(out var survivor));
        Assert.Same(chunk[1], survivor);

        Assert.True(ledger.AckMessage(survivor));
        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task TakeAsync_waits_for_a_message()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);
        var take = buffer.TakeAsync().AsTask();
        Assert.False(take.IsCompleted);

        var added = await PushOne(ledger, buffer, 1, Key(1));

        Assert.Same(added, await take.WaitAsync(Hang));
    }

    /// <summary>
    /// The guarantee from the DedupeBuffer docs, checked after every step of a random run: for every key with no
    /// change above the flush LSN (so a replay from there would not touch it), the broker's newest stored change
    /// of the key is the key's newest change overall.
    /// </summary>
    [Theory]
    [InlineData(7)]
    [InlineData(99)]
    [InlineData(2024)]
    public async Task Flush_lsn_never_passes_a_change_whose_latest_version_the_broker_lacks(int seed)
    {
        var random = new Random(seed);
        const int keys = 6;
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);
        var changes = new List<Change>();
        var byMessage = new Dictionary<OutboundMessage, Change>();
        var chunks = new List<Chunk>();
        var end = 100UL;
        for (var sequence = 1; sequence <= 300; sequence++, end += 10)
        {
            var count = random.Next(1, 4);
            var split = random.Next(0, count + 1);
            foreach (var (first, size, last) in new[] { (0, split, split == count), (split, count - split, true) })
            {
                if (size == 0 && !last)
                {
                    continue;
                }

                var chunk = new Chunk(sequence, end - 1, end, first, last, size);
                for (var i = 0; i < size; i++)
                {
                    var message = Message(chunk, $"{end}:{first + i}", 8);
                    chunk.Add(message);
                    var change = new Change(message, end, random.Next(keys), changes.Count);
                    changes.Add(change);
                    byMessage.Add(message, change);
                }

                chunks.Add(chunk);
                if (last)
                {
                    break;
                }
            }
        }

        var inFlight = new List<OutboundMessage>();
        var brokerLatest = new Change?[keys];
        var next = 0;
        var published = 0;
        while (next < chunks.Count || buffer.Count > 0 || inFlight.Count > 0)
        {
            var action = random.Next(3);
            if (action == 0 && next < chunks.Count)
            {
                var chunk = chunks[next++];
                await ledger.PushAsync(chunk);
                for (var i = 0; i < chunk.Count; i++)
                {
                    buffer.Add(chunk[i], Key(byMessage[chunk[i]].Key));
                }
            }
            else if (action == 1 && buffer.TryTake(out var taken))
            {
                // The broker stores messages in the order they are taken (published).
                inFlight.Add(taken);
                byMessage[taken].PublishOrder = ++published;
            }
            else if (inFlight.Count > 0)
            {
                var pick = random.Next(inFlight.Count);
                var acked = inFlight[pick];
                inFlight.RemoveAt(pick);
                var change = byMessage[acked];
                if (brokerLatest[change.Key] is not { } stored || stored.PublishOrder < change.PublishOrder)
                {
                    brokerLatest[change.Key] = change;
                }

                ledger.AckMessage(acked);
            }

            AssertLatestStatesSurviveAReplay(ledger.Tracker.FlushLsn, changes, brokerLatest, keys);
        }

        Assert.Equal(end - 10, ledger.Tracker.FlushLsn);
        Assert.True(buffer.SupersededCount > 0);
    }

    private static void AssertLatestStatesSurviveAReplay(ulong flush, List<Change> changes, Change?[] brokerLatest, int keys)
    {
        for (var key = 0; key < keys; key++)
        {
            Change? newest = null;
            var replayed = false;
            foreach (var change in changes)
            {
                if (change.Key != key)
                {
                    continue;
                }

                newest = change;
                replayed |= change.EndLsn > flush;
            }

            if (newest is null || replayed)
            {
                continue;
            }

            Assert.True(
                ReferenceEquals(newest, brokerLatest[key]),
                $"flush {flush} passed key {key}'s newest change (end {newest.EndLsn}) but the broker holds "
                + $"{(brokerLatest[key] is { } b ? "end " + b.EndLsn : "nothing")}");
        }
    }

    private sealed class Change(OutboundMessage message, ulong endLsn, int key, int order)
    {
        public OutboundMessage Message { get; } = message;

        public ulong EndLsn { get; } = endLsn;

        public int Key { get; } = key;

        /// <summary>Commit order of the change in the whole stream.</summary>
        public int Order { get; } = order;

        /// <summary>Position in the broker's stream (0 until taken for sending).</summary>
        public int PublishOrder { get; set; }
    }
}
