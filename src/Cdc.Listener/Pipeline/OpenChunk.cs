using Cdc.Listener.Delivery;
using Cdc.Listener.Outbox;
using Cdc.Sink;

namespace Cdc.Listener.Pipeline;

/// <summary>
/// The messages of one transaction not yet sealed into a chunk: their payloads copied into one pooled buffer that the
/// sealed chunk owns and returns once every message is acknowledged. Shared by streamed transactions, the initial
/// snapshot and backfill chunks, so every chunk is cut by the same limits.
/// </summary>
internal sealed class OpenChunk(int chunkMaxBytes)
{
    /// <summary>At most this many messages per chunk, whatever their size.</summary>
    public const int MaxMessages = 4096;

    private readonly ChunkBuffer _buffer = new();
    private readonly List<PendingMessage> _pending = new(64);
    private int _firstIndex;

    public int Count => _pending.Count;

    /// <summary>Whether a payload of <paramref name="length"/> bytes still fits; an empty chunk takes any payload.</summary>
    public bool Fits(int length)
        => _pending.Count == 0 || (_buffer.Remaining >= length && _buffer.Used + length <= chunkMaxBytes && _pending.Count < MaxMessages);

    /// <summary>Copies <paramref name="payload"/> into the chunk's buffer (call <see cref="Fits"/> first).</summary>
    public void Add(MessageKind kind, string table, string subject, string id, ReadOnlySpan<byte> payload,
        IReadOnlyList<KeyValuePair<string, string>> headers, DedupeRow row = default, OutboxRow? outbox = null)
    {
        if (_buffer.Remaining < payload.Length)
        {
            _buffer.Start(Math.Max(payload.Length, Math.Min(chunkMaxBytes, 64 * 1024)));
        }

        _pending.Add(new PendingMessage(kind, table, subject, id, _buffer.Append(payload), headers, row, outbox));
    }

    /// <summary>The next transaction's first chunk starts at index 0.</summary>
    public void StartTransaction() => _firstIndex = 0;

    /// <summary>
    /// Turns the pending messages into a chunk of the given transaction (an empty last chunk still marks its end);
    /// <paramref name="rows"/> gets each message's dedupe row when asked for; each message of an outbox row is tracked by
    /// <paramref name="outbox"/>, which settles the row once its messages are acknowledged or refused.
    /// </summary>
    public Chunk Seal(long transactionSequence, ulong commitLsn, ulong endLsn, bool isLast, out DedupeRow[]? rows, bool withRows = false, OutboxRelay? outbox = null)
    {
        var chunk = new Chunk(transactionSequence, commitLsn, endLsn, _firstIndex, isLast, _pending.Count);
        rows = withRows ? new DedupeRow[_pending.Count] : null;
        for (var i = 0; i < _pending.Count; i++)
        {
            var p = _pending[i];
            if (rows is not null)
            {
                rows[i] = p.Row;
            }

            var message = new OutboundMessage
            {
                Kind = p.Kind,
                Table = p.Table,
                Subject = p.Subject,
                MessageId = p.Id,
                Payload = p.Payload,
                Headers = p.Headers,
                State = chunk,
            };
            if (p.Outbox is not null)
            {
                (outbox ?? throw new InvalidOperationException("an outbox row's message was sealed without the outbox relay")).Track(message, p.Outbox);
            }

            chunk.Add(message);
        }

        if (_buffer.Detach() is { } array)
        {
            chunk.AddRentedBuffer(array);
        }

        _firstIndex += _pending.Count;
        _pending.Clear();
        return chunk;
    }

    private readonly record struct PendingMessage(MessageKind Kind, string Table, string Subject, string Id, ReadOnlyMemory<byte> Payload,
        IReadOnlyList<KeyValuePair<string, string>> Headers, DedupeRow Row, OutboxRow? Outbox);
}
