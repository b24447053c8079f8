using System.Buffers;
using Cdc.Listener.Delivery;
using Cdc.Sink;

namespace Cdc.Listener.Tests.Delivery;

/// <summary>Builds chunks whose messages point back at their chunk, as the listener does.</summary>
internal static class TestChunks
{
    public static Chunk Make(long sequence, ulong endLsn, int firstIndex, int messages, bool last, int bytesPerMessage = 10)
    {
        var chunk = new Chunk(sequence, endLsn - 1, endLsn, firstIndex, last, messages);
        for (var i = 0; i < messages; i++)
        {
            chunk.Add(Message(chunk, $"{endLsn:X16}:{firstIndex + i}", bytesPerMessage));
        }

        return chunk;
    }

    /// <summary>A transaction in one chunk.</summary>
    public static Chunk Whole(long sequence, ulong endLsn, int messages = 1, int bytesPerMessage = 10)
        => Make(sequence, endLsn, 0, messages, last: true, bytesPerMessage);

    public static OutboundMessage Message(Chunk chunk, string id, int bytes, string table = "public.t") => new()
    {
        Kind = MessageKind.WriteTable,
        Table = table,
        Subject = "cdc.db." + table,
        MessageId = id,
        Payload = new byte[bytes],
        State = chunk,
    };

    public static void AckAllMessages(DeliveryLedger ledger, Chunk chunk)
    {
        for (var i = 0; i < chunk.Count; i++)
        {
            ledger.AckMessage(chunk[i]);
        }
    }

    /// <summary>Whether a push finished without waiting (consumes the ValueTask).</summary>
    public static bool CompletedSynchronously(ValueTask push)
    {
        var completed = push.IsCompletedSuccessfully;
        var task = push.AsTask();
        if (completed)
        {
            task.GetAwaiter().GetResult();
        }

        return completed;
    }

    /// <summary>Records the buffers returned to it.</summary>
    public sealed class RecordingPool : ArrayPool<byte>
    {
        public List<byte[]> Returned { get; } = [];

        public override byte[] Rent(int minimumLength) => new byte[minimumLength];

        public override void Return(byte[] array, bool clearArray = false)
        {
            lock (Returned)
            {
                Returned.Add(array);
            }
        }
    }
}
