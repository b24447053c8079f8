using System.Buffers;
using System.Buffers.Binary;
using Cdc.Decoding.Protocol;

namespace Cdc.Decoding.Transactions;

/// <summary>
/// The messages of one transaction in arrival order: in a pooled array until <see cref="PgOutputOptions.SpillThresholdBytes"/>,
/// then in a temporary file (deleted on dispose). Each record: Int32 length, UInt32 xid, UInt64 LSN, bytes.
/// Subtransactions aborted while streaming are dropped by remembering their xids and skipping them on read.
/// </summary>
internal sealed class TransactionBuffer : IDisposable
{
    private const int HeaderSize = 16;
    private const int FileBufferSize = 1 << 16;

    /// <summary>Past this the array would approach its size limit: spill whatever the threshold says.</summary>
    private const long MaxMemoryBytes = 1L << 30;

    /// <summary>A recycled buffer keeps its array up to this size; a larger one goes back to the pool.</summary>
    private const int MaxRecycledMemoryBytes = 1 << 20;

    private readonly long _spillThreshold;
    private readonly string? _spillDirectory;
    private byte[] _memory = [];
    private int _memoryUsed;
    private FileStream? _file;
    private Dictionary<uint, XidTotals>? _byXid;
    private HashSet<uint>? _abortedXids;
    private int _largestRecord;
    private bool _disposed;

    /// <param name="trackSubtransactions">Streamed transactions only: count per xid so a subtransaction abort can drop its part.</param>
    public TransactionBuffer(long spillThreshold, string? spillDirectory, bool trackSubtransactions)
    {
        _spillThreshold = spillThreshold;
        _spillDirectory = spillDirectory;
        _byXid = trackSubtransactions ? [] : null;
    }

    /// <summary>Bytes of the kept messages (without record headers, without aborted subtransactions).</summary>
    public long ByteSize { get; private set; }

    public int MessageCount { get; private set; }

    /// <summary>Row changes, truncated tables and logical messages among the kept messages.</summary>
    public int ChangeCount { get; private set; }

    public bool IsSpilled => _file is not null;

    /// <summary>
    /// When set, disposing an in-memory buffer without subtransaction tracking empties it and hands it here for
    /// reuse instead of ending it. <see cref="Release"/> ends it for good.
    /// </summary>
    public Action<TransactionBuffer>? Recycle { get; init; }

    /// <summary>Appends the type byte and what <paramref name="body"/> has not read yet (the fields after type and [xid]) as one record.</summary>
    public void Append(byte type, in PgReader body, uint xid, Lsn lsn, int changes)
    {
        if (body.IsContiguous)
        {
            var bytes = body.UnreadSpan;
            var target = StartRecord(type, bytes.Length, xid, lsn);
            if (_file is null)
            {
                bytes.CopyTo(target);
            }
            else
            {
                _file.Write(bytes);
            }

            Count(bytes.Length, xid, changes);
            return;
        }

        var sequence = body.UnreadSequence;
        var length = checked((int)sequence.Length);
        var into = StartRecord(type, length, xid, lsn);
        if (_file is null)
        {
            sequence.CopyTo(into);
        }
        else
        {
            foreach (var segment in sequence)
            {
                _file.Write(segment.Span);
            }
        }

        Count(length, xid, changes);
    }

    /// <summary>
    /// Writes a record's header and type byte: in memory, returns where its <paramref name="bodyLength"/> bytes go;
    /// spilled (possibly by this record), writes them to the file and returns an empty span.
    /// </summary>
    private Span<byte> StartRecord(byte type, int bodyLength, uint xid, Lsn lsn)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var length = checked(1 + bodyLength);
        if (_file is null && (long)_memoryUsed + HeaderSize + length > Math.Min(_spillThreshold, MaxMemoryBytes))
        {
            Spill();
        }

        if (_file is null)
        {
            EnsureMemory(HeaderSize + length);
            var target = _memory.AsSpan(_memoryUsed, HeaderSize + length);
            WriteHeader(target, length, xid, lsn);
            target[HeaderSize] = type;
            _memoryUsed += HeaderSize + length;
            return target[(HeaderSize + 1)..];
        }

        Span<byte> header = stackalloc byte[HeaderSize + 1];
        WriteHeader(header, length, xid, lsn);
        header[HeaderSize] = type;
        _file.Write(header);
        return [];
    }

    /// <summary>
    /// Counts a record once it is stored, so a failed spill write leaves the totals at what was stored before it. The
    /// file then ends in a torn record; the failure ends the session, and with it this buffer.
    /// </summary>
    private void Count(int bodyLength, uint xid, int changes)
    {
        var length = 1 + bodyLength;
        _largestRecord = Math.Max(_largestRecord, length);
        ByteSize += length;
        MessageCount++;
        ChangeCount += changes;
        Track(xid, length, changes);
    }

    /// <summary>Drops what a subtransaction sent (Stream Abort with subxid != xid).</summary>
    public void AbortSubtransaction(uint subXid)
    {
        if (_byXid is null || !_byXid.Remove(subXid, out var totals))
        {
            return;
        }

        (_abortedXids ??= []).Add(subXid);
        ByteSize -= totals.Bytes;
        MessageCount -= totals.Messages;
        ChangeCount -= totals.Changes;
    }

    /// <summary>The kept records in order; each record's data is valid until the next one is read.</summary>
    public IEnumerable<PgOutputRecord> Read()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _file is null ? ReadMemory() : ReadFile(_file);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        if (Recycle is { } recycle && _file is null && _byXid is null)
        {
            Empty();
            recycle(this);
            return;
        }

        Release();
    }

    /// <summary>Ends the buffer for good: the array back to the pool, the spill file deleted.</summary>
    public void Release()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_memory.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_memory);
            _memory = [];
        }

        if (_file is not null)
        {
            var path = _file.Name;
            _file.Dispose();
            _file = null;
            TryDelete(path);
        }
    }

    /// <summary>The next kept in-memory record at or after <paramref name="position"/> (start at 0); false at the end.</summary>
    public bool TryReadMemory(ref int position, out PgOutputRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_file is not null)
        {
            throw new InvalidOperationException("The transaction is spilled to a file: read it with Read().");
        }

        while (position < _memoryUsed)
        {
            var (length, xid, lsn) = ReadHeader(_memory.AsSpan(position));
            var data = _memory.AsMemory(position + HeaderSize, length);
            position += HeaderSize + length;
            if (_abortedXids is null || !_abortedXids.Contains(xid))
            {
                record = new PgOutputRecord(lsn, xid, data);
                return true;
            }
        }

        record = default;
        return false;
    }

    private IEnumerable<PgOutputRecord> ReadMemory()
    {
        var position = 0;
        while (TryReadMemory(ref position, out var record))
        {
            yield return record;
        }
    }

    private IEnumerable<PgOutputRecord> ReadFile(FileStream file)
    {
        file.Flush();
        file.Position = 0;
        var header = new byte[HeaderSize];
        var buffer = new byte[Math.Max(_largestRecord, 1)];
        while (file.Position < file.Length)
        {
            file.ReadExactly(header);
            var (length, xid, lsn) = ReadHeader(header);
            if (length > buffer.Length)
            {
                throw new InvalidDataException($"Spill file {file.Name} is corrupt: record of {length} bytes, largest written {buffer.Length}.");
            }

            file.ReadExactly(buffer, 0, length);
            if (_abortedXids is null || !_abortedXids.Contains(xid))
            {
                yield return new PgOutputRecord(lsn, xid, buffer.AsMemory(0, length));
            }
        }
    }

    private void Empty()
    {
        if (_memory.Length > MaxRecycledMemoryBytes)
        {
            ArrayPool<byte>.Shared.Return(_memory);
            _memory = [];
        }

        _memoryUsed = 0;
        _largestRecord = 0;
        _abortedXids = null;
        ByteSize = 0;
        MessageCount = 0;
        ChangeCount = 0;
    }

    private void Track(uint xid, int length, int changes)
    {
        if (_byXid is null)
        {
            return;
        }

        ref var totals = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byXid, xid, out _);
        totals.Bytes += length;
        totals.Messages++;
        totals.Changes += changes;
    }

    private void EnsureMemory(int needed)
    {
        if (_memory.Length - _memoryUsed >= needed)
        {
            return;
        }

        var size = Math.Max(_memoryUsed + needed, Math.Max(4096, _memory.Length * 2));
        var larger = ArrayPool<byte>.Shared.Rent(size);
        _memory.AsSpan(0, _memoryUsed).CopyTo(larger);
        if (_memory.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_memory);
        }

        _memory = larger;
    }

    private void Spill()
    {
        _file = SpillFiles.Create(_spillDirectory, FileBufferSize);
        _file.Write(_memory, 0, _memoryUsed);
        if (_memory.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_memory);
        }

        _memory = [];
        _memoryUsed = 0;
    }

    private static void WriteHeader(Span<byte> target, int length, uint xid, Lsn lsn)
    {
        BinaryPrimitives.WriteInt32LittleEndian(target, length);
        BinaryPrimitives.WriteUInt32LittleEndian(target[4..], xid);
        BinaryPrimitives.WriteUInt64LittleEndian(target[8..], lsn.Value);
    }

    private static (int Length, uint Xid, Lsn Lsn) ReadHeader(ReadOnlySpan<byte> source)
        => (BinaryPrimitives.ReadInt32LittleEndian(source), BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            new Lsn(BinaryPrimitives.ReadUInt64LittleEndian(source[8..])));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private struct XidTotals
    {
        public long Bytes;
        public int Messages;
        public int Changes;
    }
}
