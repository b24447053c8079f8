namespace Cdc.Benchmarks.Replay;

/// <summary>What a replay saw: rows, non-null value bytes (text values here are ASCII, so bytes = chars) and nulls.</summary>
public record struct Tally(long Rows, long ValueBytes, long Nulls)
{
    public override readonly string ToString() => $"{Rows} rows, {ValueBytes} value bytes, {Nulls} nulls";
}
