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
    private bool _unanswered;

    public string? Current => Volatile.Read(ref _current);

    /// <summary>JetStream refused <paramref name="message"/> for want of room.</summary>
    public void Refused(string why, OutboundMessage message)
    {
        lock (_lock)
        {
            _refused = message;
            _unanswered = false;
            if (!string.Equals(_current, why, StringComparison.Ordinal))
            {
                Volatile.Write(ref _current, why);
                SinkLog.StorageFull(logger, why);
            }
        }
    }

    /// <summary>
    /// JetStream does not answer at all while the connection is up (see <see cref="JetStream.StorageFull.Unanswered"/>):
    /// held like a refusal, until it answers again (<see cref="Answered"/>) or stores a message.
    /// </summary>
    public void Unanswered(string why)
    {
        lock (_lock)
        {
            if (_current is null)
            {
                _refused = null;
                _unanswered = true;
                Volatile.Write(ref _current, why);
                SinkLog.StorageFull(logger, why);
            }
        }
    }

    /// <summary>JetStream answered an API request: ends an <see cref="Unanswered"/> state (not a refusal for want of room).</summary>
    public void Answered()
    {
        if (Volatile.Read(ref _current) is null)
        {
            return;
        }

        lock (_lock)
        {
            if (_unanswered)
            {
                _unanswered = false;
                Volatile.Write(ref _current, null);
                SinkLog.StorageAvailable(logger);
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
                _unanswered = false;
                SinkLog.StorageAvailable(logger);
            }
        }
    }
}
