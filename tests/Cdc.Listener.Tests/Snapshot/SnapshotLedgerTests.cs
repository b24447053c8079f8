using Cdc.Decoding;
using Cdc.Listener.Delivery;
using Cdc.Listener.Snapshot;
using Cdc.Sink;

namespace Cdc.Listener.Tests.Snapshot;

/// <summary>
/// The snapshot is one ledger transaction at the consistent point: the flush LSN (what the slot may confirm) reaches
/// the consistent point only when every snapshot chunk is acknowledged, and the streamed transactions after it follow.
/// </summary>
public sealed class SnapshotLedgerTests
{
    private static readonly Lsn ConsistentPoint = new(0x5000);

    private static Chunk SnapshotChunk(int firstIndex, int count, bool isLast)
    {
        var chunk = new Chunk(0, ConsistentPoint.Value, ConsistentPoint.Value, firstIndex, isLast, count);
        for (var i = 0; i < count; i++)
        {
            chunk.Add(new OutboundMessage
            {
                Kind = MessageKind.WriteTable,
                Table = "public.items",
                Subject = "cdc.db.public.items",
                MessageId = InitialSnapshot.RowId("slot", ConsistentPoint, "public.items", firstIndex + i),
                Payload = new byte[100],
                State = chunk,
            });
        }

        return chunk;
    }

    [Fact]
    public async Task The_flush_LSN_reaches_the_consistent_point_only_after_the_last_snapshot_chunk_is_acknowledged()
    {
        var ledger = new DeliveryLedger(new LedgerOptions(), InitialSnapshot.FlushBefore(ConsistentPoint));
        var first = SnapshotChunk(0, 3, isLast: false);
        var last = SnapshotChunk(3, 2, isLast: true);
        await ledger.PushAsync(first);
        await ledger.PushAsync(last);

        ledger.Ack(last);
        Assert.True(ledger.Tracker.FlushLsn < ConsistentPoint.Value);
        ledger.Ack(first);
        Assert.Equal(ConsistentPoint.Value, ledger.Tracker.FlushLsn);

        // A streamed transaction ending after the consistent point is the next one; one at it is a replay.
        Assert.True(ledger.ShouldSkip(ConsistentPoint.Value));
        Assert.False(ledger.ShouldSkip(ConsistentPoint.Value + 0x100));
        var streamed = new Chunk(1, ConsistentPoint.Value + 0x80, ConsistentPoint.Value + 0x100, 0, isLastOfTransaction: true);
        await ledger.PushAsync(streamed);
        Assert.Equal(ConsistentPoint.Value + 0x100, ledger.Tracker.FlushLsn);
    }

    [Fact]
    public void Row_ids_differ_by_slot_consistent_point_table_and_row_and_repeat_for_the_same_ones()
    {
        var id = InitialSnapshot.RowId("slot", ConsistentPoint, "public.items", 7);
        Assert.Equal("slot:0000000000005000:read:public.items:7", id);
        Assert.Equal(id, InitialSnapshot.RowId("slot", ConsistentPoint, "public.items", 7));
        Assert.NotEqual(id, InitialSnapshot.RowId("slot", new Lsn(0x5001), "public.items", 7));
        Assert.NotEqual(InitialSnapshot.MarkerId("slot", ConsistentPoint, "public.items"), InitialSnapshot.MarkerId("slot", ConsistentPoint, "public.other"));
    }

    [Fact]
    public void The_temporary_slot_name_fits_PostgreSQL_identifiers()
    {
        var name = SnapshotSlot.TemporaryNameFor(new string('s', 63));
        Assert.True(name.Length <= 63);
        Assert.Contains("_snap", name, StringComparison.Ordinal);
    }
}
