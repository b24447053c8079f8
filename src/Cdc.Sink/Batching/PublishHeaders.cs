using NATS.Client.Core;

namespace Cdc.Sink;

/// <summary>
/// The headers of the publish in progress, in one <see cref="NatsHeaders"/> kept across publishes (NATS.Net
/// serializes them before its publish call returns; publishes are one at a time under the writer's publish lock).
/// Per message only <c>Nats-Msg-Id</c> and <c>Nats-Expected-Last-Msg-Id</c> are set: a producer passes the same
/// headers array for every message of a kind (<c>Nats-Expected-Stream</c>, the content type), and those are
/// written into the dictionary again only when they change. Headers made per message (CloudEvents binary: a new list
/// each time) are written in without being kept: a copy is made only of a list passed twice in a row.
/// </summary>
internal sealed class PublishHeaders
{
    private readonly NatsHeaders _headers = new();

    /// <summary>The producer's headers now in <see cref="_headers"/>, copied: the same strings mean the same headers.</summary>
    private KeyValuePair<string, string>[] _extras = [];

    /// <summary>The producer's list of the last rebuild, by reference only (never read again).</summary>
    private IReadOnlyList<KeyValuePair<string, string>>? _lastRebuilt;

    /// <summary>
    /// The next publish sets everything again, in order: the producer's headers name a header the writer sets itself,
    /// or they were not kept.
    /// </summary>
    private bool _rebuildNext;

    /// <summary><c>Nats-Expected-Last-Msg-Id</c> is in <see cref="_headers"/>.</summary>
    private bool _hasChain;

    /// <summary>Headers for one publish: the message id, the producer's headers, and the chain header when given.</summary>
    public NatsHeaders For(string messageId, IReadOnlyList<KeyValuePair<string, string>>? extras, string? expectedLastMessageId)
    {
        var headers = _headers;

        // The count also catches headers added by someone else (NATS.Net's tracing adds its own to the dictionary).
        if (_rebuildNext || !SameStrings(extras, _extras) || headers.Count != 1 + _extras.Length + (_hasChain ? 1 : 0))
        {
            Rebuild(messageId, extras);
        }
        else
        {
            headers[WireFormat.MessageIdHeader] = messageId;
        }

        if (expectedLastMessageId is not null)
        {
            headers[WireFormat.ExpectedLastMessageIdHeader] = expectedLastMessageId;
            _hasChain = true;
        }
        else if (_hasChain)
        {
            headers.Remove(WireFormat.ExpectedLastMessageIdHeader);
            _hasChain = false;
        }

        return headers;
    }

    /// <summary>As NATS.Net would see them set one after the other: the id, then the producer's (which may replace it).</summary>
    private void Rebuild(string messageId, IReadOnlyList<KeyValuePair<string, string>>? extras)
    {
        var headers = _headers;
        headers.Clear();
        _hasChain = false;
        var nameOurs = false;
        headers[WireFormat.MessageIdHeader] = messageId;
        var count = extras?.Count ?? 0;
        for (var i = 0; i < count; i++)
        {
            var (name, value) = extras![i];
            headers[name] = value;
            nameOurs |= string.Equals(name, WireFormat.MessageIdHeader, StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, WireFormat.ExpectedLastMessageIdHeader, StringComparison.OrdinalIgnoreCase);
        }

        // Kept (and recognised from the next publish on) only when the same list comes again; until then the dictionary
        // is rebuilt per message, which is what per-message headers need anyway.
        var keep = count == 0 || ReferenceEquals(extras, _lastRebuilt);
        _extras = keep && count > 0 ? [.. extras!] : [];
        _rebuildNext = nameOurs || !keep;
        _lastRebuilt = extras;
    }

    /// <summary>
    /// True when <paramref name="headers"/> holds the very strings of <paramref name="copy"/>, in order: the same headers,
    /// whatever list they come in (a pointer compare per string: cheaper than reading them).
    /// </summary>
    internal static bool SameStrings(IReadOnlyList<KeyValuePair<string, string>>? headers, KeyValuePair<string, string>[] copy)
    {
        var count = headers?.Count ?? 0;
        if (count != copy.Length)
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            var (name, value) = headers![i];
            if (!ReferenceEquals(name, copy[i].Key) || !ReferenceEquals(value, copy[i].Value))
            {
                return false;
            }
        }

        return true;
    }
}
