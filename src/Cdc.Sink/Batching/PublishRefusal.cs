using Microsoft.Extensions.Logging;

namespace Cdc.Sink;

/// <summary>
/// Whether JetStream refuses to store publishes right now (see <see cref="JetStream.StorageFull"/>): logged once when it
/// starts and once when it is over, and shown by <see cref="ISinkHealth.PublishRefusal"/>.
/// </summary>
internal sealed class PublishRefusal(ILogger logger)
{
    private readonly object _lock = new();
    private string? _current;
    private OutboundMessage? _refused;

    public string? Current => Volatile.Read(ref _current);

    /// <summary>JetStream refused <paramref name="message"/> for want of room.</summary>
    public void Refused(string why, OutboundMessage message)
    {
        lock (_lock)
        {
            _refused = message;
            if (!string.Equals(_current, why, StringComparison.Ordinal))
            {
                Volatile.Write(ref _current, why);
                SinkLog.StorageFull(logger, why);
            }
        }
    }

    /// <summary>
    /// JetStream stored <paramref name="message"/>. The refusal is over once a message other than the refused one is
    /// stored, or nothing is left to deliver: the refused one alone may fit only because its republish leaves out the
    /// chain header, and the next is refused again. Called only while <see cref="Current"/> is set.
    /// </summary>
    public void Stored(OutboundMessage message, bool nothingPending)
    {
        lock (_lock)
        {
            if (_current is not null && (nothingPending || !ReferenceEquals(message, _refused)))
            {
                Volatile.Write(ref _current, null);
                _refused = null;
                SinkLog.StorageAvailable(logger);
            }
        }
    }
}
