namespace Cdc.Consumer.Gaps;

/// <summary>
/// Stream sequences a consumer never saw: deleted, purged or expired (max_age, max_msgs, max_bytes) before it read them.
/// With subject filters the range may include sequences of other subjects, which the consumer would not have received.
/// </summary>
/// <param name="Consumer">The consumer name.</param>
/// <param name="FirstMissing">The first missing stream sequence.</param>
/// <param name="LastMissing">The last missing stream sequence.</param>
public sealed record CdcGap(string Consumer, ulong FirstMissing, ulong LastMissing)
{
    /// <summary>How many stream sequences are missing.</summary>
    public ulong Count => LastMissing - FirstMissing + 1;
}
