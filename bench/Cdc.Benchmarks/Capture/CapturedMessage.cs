namespace Cdc.Benchmarks.Capture;

/// <summary>One XLogData as a walsender would send it: the LSN fields and the pgoutput message.</summary>
public readonly record struct CapturedMessage(ulong WalStart, ulong WalEnd, ReadOnlyMemory<byte> Data)
{
    public byte Type => Data.Span[0];
}
