namespace Cdc.Listener.Telemetry;

/// <summary>Changes and bytes of one table and operation.</summary>
public sealed class TableCounter
{
    private long _changes;
    private long _bytes;

    public long Changes => Interlocked.Read(ref _changes);

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Add(int bytes)
    {
        Interlocked.Increment(ref _changes);
        Interlocked.Add(ref _bytes, bytes);
    }
}
