using System.Buffers;

namespace Cdc.Listener.Replication.Wire;

/// <summary>One XLogData message of the replication stream. Its data is valid until the next read.</summary>
public readonly struct XLogData(ulong walStart, ulong walEnd, long serverClockMicros, BufferedBytes bytes)
{
    /// <summary>WAL position where this message's data starts (0 for messages the plugin adds, such as Relation).</summary>
    public ulong WalStart { get; } = walStart;

    /// <summary>The server's current WAL end.</summary>
    public ulong WalEnd { get; } = walEnd;

    /// <summary>The server's clock at sending, in microseconds since 2000-01-01 UTC.</summary>
    public long ServerClockMicros { get; } = serverClockMicros;

    /// <summary>The output plugin's message (pgoutput bytes), in the connection's read buffer.</summary>
    public BufferedBytes Bytes { get; } = bytes;

    /// <summary>The output plugin's message as a sequence (<see cref="Bytes"/> is cheaper to read).</summary>
    public ReadOnlySequence<byte> Data => Bytes.Sequence;
}
