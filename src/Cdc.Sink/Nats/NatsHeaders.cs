using System.Buffers;
using System.Text;

namespace Cdc.Sink.Nats;

/// <summary>
/// Headers of a received message (<c>NATS/1.0[ status[ description]]</c> then <c>Name: Value</c> lines).
/// Names keep their case; lookups ignore case.
/// </summary>
public sealed class NatsHeaders
{
    private static readonly byte[] Version = "NATS/1.0"u8.ToArray();

    private readonly List<KeyValuePair<string, string>> _items = [];

    /// <summary>The status code in the first line (503 no responders, 404/408 from JetStream pulls), or 0.</summary>
    public int Status { get; private set; }

    public string? StatusDescription { get; private set; }

    public IReadOnlyList<KeyValuePair<string, string>> Items => _items;

    public string? this[string name]
    {
        get
        {
            foreach (var kv in _items)
            {
                if (string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    return kv.Value;
                }
            }

            return null;
        }
    }

    /// <summary>Parses a header block (including its terminating blank line).</summary>
    public static NatsHeaders Parse(ReadOnlySequence<byte> block)
    {
        var headers = new NatsHeaders();
        var reader = new SequenceReader<byte>(block);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> first, "\r\n"u8) || !first.FirstSpan.StartsWith(Version) && !StartsWith(first, Version))
        {
            throw new NatsProtocolException("header block does not start with NATS/1.0");
        }

        var firstLine = Encoding.ASCII.GetString(first).AsSpan(Version.Length).Trim();
        if (firstLine.Length >= 3 && int.TryParse(firstLine[..3], out var status))
        {
            headers.Status = status;
            var description = firstLine[3..].Trim();
            headers.StatusDescription = description.IsEmpty ? null : description.ToString();
        }

        while (reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            if (line.IsEmpty)
            {
                break;
            }

            var text = Encoding.UTF8.GetString(line);
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new NatsProtocolException($"malformed header line ({text.Length} chars, no name)");
            }

            headers._items.Add(new(text[..colon].Trim(), text[(colon + 1)..].Trim()));
        }

        return headers;
    }

    /// <summary>Bytes of the header block that <see cref="ProtocolWriter"/> writes for these headers.</summary>
    internal static int BlockLength(string? messageId, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        var length = 10 + 2; // "NATS/1.0\r\n" ... "\r\n"
        if (messageId is not null)
        {
            Validate("Nats-Msg-Id", messageId);
            length += 15 + Encoding.UTF8.GetByteCount(messageId); // "Nats-Msg-Id: " + value + CRLF
        }

        if (headers is not null)
        {
            // Indexed: foreach over an IReadOnlyList boxes its enumerator.
            for (var i = 0; i < headers.Count; i++)
            {
                var (name, value) = headers[i];
                Validate(name, value);
                length += Encoding.UTF8.GetByteCount(name) + 4 + Encoding.UTF8.GetByteCount(value);
            }
        }

        return length;
    }

    private static void Validate(string name, string value)
    {
        if (name.Length == 0 || name.AsSpan().IndexOfAny(":\r\n ") >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException($"invalid header '{name}': names need no ':' or whitespace, values no CR/LF");
        }
    }

    private static bool StartsWith(ReadOnlySequence<byte> sequence, byte[] prefix)
    {
        if (sequence.Length < prefix.Length)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[prefix.Length];
        sequence.Slice(0, prefix.Length).CopyTo(head);
        return head.SequenceEqual(prefix);
    }
}
