using System.Buffers;
using System.Globalization;
using Cdc.Decoding;
using Cdc.Decoding.Tests.Support;
using Cdc.Listener.Delivery;
using Cdc.Sink;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Tests.Delivery;

/// <summary>
/// Coalescing never drops what a consumer needs to reach each row's latest state: values of TOASTed columns a
/// newer change left out, the disappearance of a key an update moved the row away from, rows whose key is unknown.
/// Changes are decoded from pgoutput messages and keyed as the listener keys them.
/// </summary>
public sealed class DedupeRowStateTests
{
    private const uint Relid = 16400;
    private const string Table = "public.t";

    private static readonly byte[] _relation = PgOutputBuilder.Relation(Relid, "public", "t", 'd', ("id", 23, -1, true), ("body", 25, -1, false));

    [Fact]
    public async Task An_update_leaving_a_toasted_column_out_takes_its_value_from_the_change_it_replaces()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);
        var big = new string('x', 5000);

        await AddAll(ledger, buffer, _relation, PgOutputBuilder.Insert(null, Relid, "1", big), PgOutputBuilder.Update(null, Relid, null, null, "1", "~"));

        var survivor = Assert.Single(TakeAll(buffer));
        var row = ChangeEvent.Parser.ParseFrom(survivor.Payload.Span).NewRow;
        Assert.Equal(big, row[1].Value.Text);
        Assert.Equal(1, buffer.SupersededCount);

        // The insert's value now lives only in the survivor: the insert's transaction is not confirmed before it.
        Assert.Equal(0UL, ledger.Tracker.FlushLsn);
        ledger.AckMessage(survivor);
        Assert.Equal(200UL, ledger.Tracker.FlushLsn);
        Assert.Equal(0, ledger.Tracker.InFlightBytes);
    }

    [Fact]
    public async Task A_chain_of_updates_leaving_a_toasted_column_out_keeps_the_value_and_settles_every_dropped_change()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);

        await AddAll(ledger, buffer, _relation,
            PgOutputBuilder.Insert(null, Relid, "1", "first body"),
            PgOutputBuilder.Update(null, Relid, null, null, "1", "~"),
            PgOutputBuilder.Update(null, Relid, null, null, "1", "~"),
            PgOutputBuilder.Update(null, Relid, null, null, "1", "~"));

        var survivor = Assert.Single(TakeAll(buffer));
        Assert.Equal("first body", ChangeEvent.Parser.ParseFrom(survivor.Payload.Span).NewRow[1].Value.Text);
        Assert.Equal(0UL, ledger.Tracker.FlushLsn);

        ledger.AckMessage(survivor);

        Assert.Equal(400UL, ledger.Tracker.FlushLsn);
        Assert.Equal(3, ledger.Counters.SupersededMessages);
    }

    [Fact]
    public async Task A_survivor_replaced_by_a_change_with_every_value_settles_what_it_carried()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);

        await AddAll(ledger, buffer, _relation,
            PgOutputBuilder.Insert(null, Relid, "1", "a"),
            PgOutputBuilder.Update(null, Relid, null, null, "1", "~"),
            PgOutputBuilder.Update(null, Relid, null, null, "1", "c"));

        // The third change needs nothing of the first two: both count as delivered now.
        Assert.Equal(200UL, ledger.Tracker.FlushLsn);
        var survivor = Assert.Single(TakeAll(buffer));
        Assert.Equal("c", ChangeEvent.Parser.ParseFrom(survivor.Payload.Span).NewRow[1].Value.Text);
        ledger.AckMessage(survivor);
        Assert.Equal(300UL, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public async Task An_update_with_every_value_replaces_the_older_change_at_once()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);

        await AddAll(ledger, buffer, _relation, PgOutputBuilder.Insert(null, Relid, "1", "a"), PgOutputBuilder.Update(null, Relid, null, null, "1", "b"));

        Assert.Equal(100UL, ledger.Tracker.FlushLsn);
        Assert.Equal("b", ChangeEvent.Parser.ParseFrom(Assert.Single(TakeAll(buffer)).Payload.Span).NewRow[1].Value.Text);
    }

    [Fact]
    public async Task An_update_that_changes_the_key_is_kept_so_consumers_learn_the_old_key_is_gone()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);

        await AddAll(ledger, buffer, _relation,
            PgOutputBuilder.Insert(null, Relid, "1", "a"),
            PgOutputBuilder.Update(null, Relid, 'K', ["1", null], "2", "b"),
            PgOutputBuilder.Update(null, Relid, null, null, "2", "c"),
            PgOutputBuilder.Delete(null, Relid, 'K', "2", null));

        var events = TakeAll(buffer).Select(m => ChangeEvent.Parser.ParseFrom(m.Payload.Span)).ToList();

        // The insert of key 1 is replaced by the move (which says key 1 is gone); the move stays although key 2
        // changed again and was deleted (which replaced the change of key 2 alone).
        Assert.Equal([Operation.Update, Operation.Delete], events.Select(e => e.Operation));
        Assert.Equal(1, events[0].OldRow[0].Value.Int);
        Assert.Equal(2, events[0].NewRow[0].Value.Int);
        Assert.Equal(2, events[1].OldRow[0].Value.Int);
        Assert.Equal(2, buffer.SupersededCount);
    }

    [Fact]
    public async Task A_row_moved_to_a_key_with_a_pending_change_keeps_that_change()
    {
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);

        await AddAll(ledger, buffer, _relation,
            PgOutputBuilder.Delete(null, Relid, 'K', "2", null),
            PgOutputBuilder.Update(null, Relid, 'K', ["1", null], "2", "moved"),
            PgOutputBuilder.Update(null, Relid, null, null, "2", "again"));

        var events = TakeAll(buffer).Select(m => ChangeEvent.Parser.ParseFrom(m.Payload.Span)).ToList();
        Assert.Equal([Operation.Delete, Operation.Update, Operation.Update], events.Select(e => e.Operation));
        Assert.Equal(0, buffer.SupersededCount);
    }

    [Fact]
    public async Task Changes_whose_key_came_as_unchanged_toast_are_never_coalesced_and_stop_coalescing_in_their_table()
    {
        var relation = PgOutputBuilder.Relation(Relid, "public", "t", 'd', ("id", 25, -1, true), ("v", 23, -1, false));
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);

        await AddAll(ledger, buffer, relation,
            PgOutputBuilder.Insert(null, Relid, "known", "1"),
            PgOutputBuilder.Update(null, Relid, null, null, "~", "2"),
            PgOutputBuilder.Update(null, Relid, null, null, "~", "3"),
            PgOutputBuilder.Update(null, Relid, null, null, "known", "4"));

        var values = TakeAll(buffer).Select(m => ChangeEvent.Parser.ParseFrom(m.Payload.Span).NewRow[1].Value.Int).ToList();
        Assert.Equal([1L, 2L, 3L, 4L], values);
        Assert.Equal(0, buffer.SupersededCount);
    }

    [Fact]
    public async Task A_key_column_left_out_of_an_update_that_moved_the_row_takes_its_value_from_the_old_key()
    {
        var relation = PgOutputBuilder.Relation(Relid, "public", "t", 'd', ("tenant", 25, -1, true), ("id", 23, -1, true), ("v", 23, -1, false));
        var ledger = new DeliveryLedger();
        var buffer = new DedupeBuffer(ledger);

        await AddAll(ledger, buffer, relation,
            PgOutputBuilder.Insert(null, Relid, "acme", "2", "0"),
            PgOutputBuilder.Update(null, Relid, 'K', ["acme", "1", null], "~", "2", "1"),
            PgOutputBuilder.Update(null, Relid, null, null, "acme", "2", "2"));

        // The moved row's new key is (acme, 2): the later update of (acme, 2) keeps the move, drops nothing else of it.
        var values = TakeAll(buffer).Select(m => ChangeEvent.Parser.ParseFrom(m.Payload.Span).NewRow[2].Value.Int).ToList();
        Assert.Equal([0L, 1L, 2L], values);
    }

    /// <summary>Decodes the messages (after the relation) one transaction each, pushes each change and adds it as the listener does.</summary>
    private static async Task AddAll(DeliveryLedger ledger, DedupeBuffer buffer, byte[] relation, params byte[][] changes)
    {
        var items = Decode(relation, changes);
        for (var i = 0; i < items.Count; i++)
        {
            var end = (ulong)(i + 1) * 100;
            var chunk = new Chunk(i + 1, end - 1, end, 0, true, 1);
            var message = new OutboundMessage
            {
                Kind = MessageKind.WriteTable,
                Table = Table,
                Subject = "cdc.db." + Table,
                MessageId = end.ToString(CultureInfo.InvariantCulture),
                Payload = items[i].Payload,
                State = chunk,
            };
            chunk.Add(message);
            await ledger.PushAsync(chunk);
            buffer.Add(message, items[i].Row);
        }
    }

    private static List<(byte[] Payload, DedupeRow Row)> Decode(byte[] relation, byte[][] changes)
    {
        var options = new PgOutputOptions();
        using var assembler = new TransactionAssembler(options);
        var handler = new Handler();
        var decoder = new ChangeDecoder(options);
        var lsn = 0x100UL;
        foreach (var message in (byte[][])[PgOutputBuilder.Begin(lsn, 1, 7), relation, .. changes, PgOutputBuilder.Commit(lsn, lsn + 8, 1)])
        {
            using var transaction = assembler.Append(new ReadOnlySequence<byte>(message), lsn, lsn);
            if (transaction is not null)
            {
                decoder.Decode(transaction, handler);
            }
        }

        return handler.Items;
    }

    private static List<OutboundMessage> TakeAll(DedupeBuffer buffer)
    {
        var taken = new List<OutboundMessage>();
        while (buffer.TryTake(out var message))
        {
            taken.Add(message);
        }

        return taken;
    }

    private sealed class Handler : IChangeHandler
    {
        private readonly ChangeEventEncoder _encoder = new();
        private readonly ArrayBufferWriter<byte> _scratch = new();

        public List<(byte[] Payload, DedupeRow Row)> Items { get; } = [];

        public void OnChange(ChangeItem change)
            => Items.Add((_encoder.ToEvent(change, "db").ToByteArray(), DedupeRows.Of(change, Table, _scratch)));

        public void OnRelation(RelationInfo relation)
        {
        }
    }
}
