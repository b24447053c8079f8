
namespace Cdc.Listener.Delivery;

/// <summary>Settings of the delivery ledger, bound from the <c>Cdc:Pusher</c> configuration section.</summary>
public sealed record LedgerOptions
{
    public const long DefaultMaxInFlightBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Payload bytes pushed but not yet acknowledged before <see cref="DeliveryLedger.PushAsync"/> waits.
    /// A single chunk larger than this is still admitted when nothing else is in flight.
    /// </summary>
    public long MaxInFlightBytes { get; init; } = DefaultMaxInFlightBytes;

    /// <summary>Throws when a value is out of range, naming the configuration key.</summary>
    public void Validate()
    {
        if (MaxInFlightBytes < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(MaxInFlightBytes),
                MaxInFlightBytes,
                "Cdc:Pusher:MaxInFlightBytes must be at least 1 byte.");
        }
    }
}
