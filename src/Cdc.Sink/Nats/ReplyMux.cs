using System.Buffers.Text;
using System.Text;

namespace Cdc.Sink.Nats;

/// <summary>
/// One wildcard subscription (<c>_INBOX.&lt;nuid&gt;.*</c>) serves every request: the last token of the
/// reply subject is a number that finds the waiting handler, so a request costs no SUB/UNSUB.
/// </summary>
internal sealed class ReplyMux
{
    private readonly Dictionary<long, IReplyHandler> _pending = [];
    private readonly byte[] _prefixBytes;
    private long _next;

    public ReplyMux()
    {
        Prefix = "_INBOX." + Nuid.Next() + ".";
        _prefixBytes = Encoding.ASCII.GetBytes(Prefix);
    }

    /// <summary><c>_INBOX.&lt;nuid&gt;.</c>: a reply subject is this plus the token.</summary>
    public string Prefix { get; }

    public string Wildcard => Prefix + "*";

    public int Count
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    public long Register(IReplyHandler handler)
    {
        lock (_pending)
        {
            var token = ++_next;
            _pending.Add(token, handler);
            return token;
        }
    }

    public bool Remove(long token)
    {
        lock (_pending)
        {
            return _pending.Remove(token);
        }
    }

    /// <summary>Delivers a reply to its handler; false when the subject is not one of ours or nobody waits.</summary>
    public bool TryDispatch(ProtocolParser frame)
    {
        var subject = frame.Subject;
        if (!subject.StartsWith(_prefixBytes)
            || !Utf8Parser.TryParse(subject[_prefixBytes.Length..], out long token, out var used)
            || used != subject.Length - _prefixBytes.Length)
        {
            return false;
        }

        IReplyHandler? handler;
        lock (_pending)
        {
            if (!_pending.Remove(token, out handler))
            {
                return false;
            }
        }

        try
        {
            handler.OnReply(frame);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Runs on the read loop: one handler's fault must not end it. The handler treats this reply
            // as lost (a publish is then republished with the same Nats-Msg-Id).
            handler.OnConnectionLost(e);
        }

        return true;
    }

    public void FailAll(Exception error)
    {
        IReplyHandler[] handlers;
        lock (_pending)
        {
            handlers = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (var handler in handlers)
        {
            handler.OnConnectionLost(error);
        }
    }
}
