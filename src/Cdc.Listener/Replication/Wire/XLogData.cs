using System.Buffers;

namespace Cdc.Listener.Replication.Wire;

/// <summary>One XLogData message of the replication stream. Its data is valid until the next read.</summary>
public readonly struct XLogData
{
    private readonly ReadOnlyMemory<byte> _contiguous;
    private readonly ReadOnlySequence<byte> _segments;
    private readonly bool _isContiguous;

    /// <summary>A message split across read-buffer segments.</summary>
    public XLogData(ulong walStart, ulong walEnd, long serverClockMicros, ReadOnlySequence<byte> data)
    {
        WalStart = walStart;
        WalEnd = walEnd;
        ServerClockMicros = serverClockMicros;
        _segments = data;
    }

    /// <summary>A message in one piece of the read buffer (the usual case).</summary>
    public XLogData(ulong walStart, ulong walEnd, long serverClockMicros, ReadOnlyMemory<byte> data)
    {
        WalStart = walStart;
        WalEnd = walEnd;
        ServerClockMicros = serverClockMicros;
        _contiguous = data;
        _isContiguous = true;
    }

    /// <summary>WAL position where this message's data starts (0 for messages the plugin adds, such as Relation).</summary>
    public ulong WalStart { get; }

    /// <summary>The server's current WAL end.</summary>
    public ulong WalEnd { get; }

    /// <summary>The server's clock at sending, in microseconds since 2000-01-01 UTC.</summary>
    public long ServerClockMicros { get; }

    /// <summary>The output plugin's message (pgoutput bytes), in the connection's read buffer.</summary>
    public ReadOnlySequence<byte> Data => _isContiguous ? new ReadOnlySequence<byte>(_contiguous) : _segments;

    /// <summary>
    /// The message as one block of memory when it lies in one piece of the read buffer, as all but the largest
    /// messages do: cheaper to read than <see cref="Data"/>.
    /// </summary>
    public bool TryGetMemory(out ReadOnlyMemory<byte> data)
    {
        data = _contiguous;
        return _isContiguous;
    }
}
