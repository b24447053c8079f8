using Microsoft.Extensions.Logging;

namespace Cdc.Sink;

/// <summary>
/// Whether JetStream refuses to store publishes right now (see <see cref="JetStream.StorageFull"/>): logged once when it
/// starts and once when a publish is stored again, and shown by <see cref="ISinkHealth.PublishRefusal"/>.
/// </summary>
internal sealed class PublishRefusal(ILogger logger)
{
    private string? _current;

    public string? Current => Volatile.Read(ref _current);

    public void Refused(string why)
    {
        if (!string.Equals(Interlocked.Exchange(ref _current, why), why, StringComparison.Ordinal))
        {
            SinkLog.StorageFull(logger, why);
        }
    }

    /// <summary>A publish was stored: the refusal is over. A field read on the hot path while nothing is refused.</summary>
    public void Stored()
    {
        if (Volatile.Read(ref _current) is not null && Interlocked.Exchange(ref _current, null) is not null)
        {
            SinkLog.StorageAvailable(logger);
        }
    }
}
