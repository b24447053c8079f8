using Cdc.Decoding;
using Cdc.Decoding.Snapshot;
using Cdc.Listener.Outbox;
using Cdc.Sink;
using Npgsql;

namespace Cdc.Listener.Snapshot;

/// <summary>
/// Outbox tables in the initial snapshot: the rows already there when the slot is created carry messages nobody
/// relayed yet. Each is published as its messages (not as a read event), with the message ids its insert would have had
/// (<c>outbox:&lt;table&gt;:&lt;id&gt;[:&lt;index&gt;]</c>), so a replay of the same row within the duplicate window is dropped;
/// refusals, recording and clean-up go through the outbox relay as for streamed rows.
/// </summary>
internal sealed partial class InitialSnapshot
{
    private OutboxTable? OutboxTableOf(RelationInfo relation)
        => acks.Outbox is not null && OutboxRelay.IsNamed(context.Options.Outbox, relation) ? OutboxTable.Recognise(relation) : null;

    /// <summary>Adds every row's messages to the snapshot's chunks; returns the rows read.</summary>
    private async Task<long> RelayOutboxRowsAsync(NpgsqlConnection conn, PublishedTable table, OutboxTable outboxTable, CancellationToken cancellationToken)
    {
        var relay = acks.Outbox!;
        var messages = new List<OutboxRowMessage>();
        var index = 0;
        return await TableCopyReader.ReadAsync(conn, new SnapshotRow(table.Relation, _consistentPoint), table.RowFilter, async r =>
        {
            if (relay.Read(outboxTable, r.AsChange(index++), context.PublishHeaders, messages) is not { } row)
            {
                return;
            }

            foreach (var message in messages)
            {
                // The payload points into the COPY buffer, valid during this callback: the open chunk copies it.
                if (!_open.Fits(message.Payload.Length))
                {
                    await PushAsync(isLast: false, cancellationToken).ConfigureAwait(false);
                }

                _open.Add(MessageKind.WriteTable, outboxTable.StatusName, _subjects.ForOutbox(message.Subject), message.MessageId, message.Payload.Span, message.Headers, outbox: row);
            }
        }, cancellationToken).ConfigureAwait(false);
    }
}
