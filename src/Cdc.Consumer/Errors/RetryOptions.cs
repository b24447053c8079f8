namespace Cdc.Consumer.Errors;

/// <summary>Retries of a failing handler: exponential backoff from <see cref="InitialBackoff"/>, doubled up to <see cref="MaxBackoff"/>.</summary>
public sealed record RetryOptions
{
    /// <summary>Attempts per event, the first included (1 = no retry).</summary>
    public int MaxAttempts { get; init; } = 5;

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1.</summary>
    public TimeSpan BackoffAfter(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var ticks = Math.Min(InitialBackoff.Ticks * factor, MaxBackoff.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "Retry.MaxAttempts must be at least 1");
        }

        if (InitialBackoff < TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialBackoff), InitialBackoff, "Retry backoffs must satisfy 0 <= InitialBackoff <= MaxBackoff");
        }
    }
}
