using System.Text;

namespace Cdc.Sink;

/// <summary>
/// What NATS can carry, checked before a message is published (so a bad message fails alone), and the size the
/// server counts against max_payload: the header block <c>NATS/1.0\r\n</c>, <c>Name: Value\r\n</c> per header,
/// <c>\r\n</c>, plus the payload.
/// </summary>
internal static class WireFormat
{
    public const string MessageIdHeader = "Nats-Msg-Id";

    public const string ExpectedLastMessageIdHeader = "Nats-Expected-Last-Msg-Id";

    public static void ValidateSubject(string? subject, string what = "subject")
    {
        if (subject is null || subject.Length == 0 || subject.Length > 1024 || subject.AsSpan().IndexOfAny(" \t\r\n") >= 0
            || !Ascii.IsValid(subject) || subject[0] == '.' || subject[^1] == '.' || subject.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"invalid {what} '{subject}': 1..1024 ASCII characters without whitespace or empty tokens", what);
        }
    }

    /// <summary>Bytes of the header block with <c>Nats-Msg-Id</c> first, then <paramref name="headers"/>; throws on a header NATS cannot carry.</summary>
    public static int HeaderBlockLength(string messageId, IReadOnlyList<KeyValuePair<string, string>>? headers) =>
        HeaderBlockLength(messageId, HeadersLength(headers));

    /// <summary>Bytes of the header block with <c>Nats-Msg-Id</c> first, then headers of <paramref name="headersLength"/> bytes.</summary>
    public static int HeaderBlockLength(string messageId, int headersLength) =>
        10 + 2 + HeaderLength(MessageIdHeader, messageId) + headersLength;

    /// <summary>Bytes of the <c>Name: Value\r\n</c> lines of <paramref name="headers"/>; throws on a header NATS cannot carry.</summary>
    public static int HeadersLength(IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        var length = 0;
        if (headers is not null)
        {
            for (var i = 0; i < headers.Count; i++)
            {
                length += HeaderLength(headers[i].Key, headers[i].Value);
            }
        }

        return length;
    }

    /// <summary>Bytes of one <c>Name: Value\r\n</c> line.</summary>
    public static int HeaderLength(string name, string value)
    {
        if (name.Length == 0 || name.AsSpan().IndexOfAny(":\r\n ") >= 0 || !Ascii.IsValid(name) || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException($"invalid header '{name}': names need ASCII without ':' or whitespace, values no CR/LF");
        }

        return name.Length + 2 + Encoding.UTF8.GetByteCount(value) + 2;
    }
}
