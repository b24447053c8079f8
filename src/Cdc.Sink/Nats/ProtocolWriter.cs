using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Cdc.Sink.Nats;

/// <summary>Writes client protocol operations into a buffer (the connection's write pipe).</summary>
internal static class ProtocolWriter
{
    /// <summary>The server's limit for a control line (MAX_CONTROL_LINE_SIZE).</summary>
    public const int MaxControlLine = 4096;

    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    public static void WritePing(IBufferWriter<byte> writer) => writer.Write("PING\r\n"u8);

    public static void WritePong(IBufferWriter<byte> writer) => writer.Write("PONG\r\n"u8);

    public static void WriteConnect(IBufferWriter<byte> writer, byte[] json)
    {
        writer.Write("CONNECT "u8);
        writer.Write(json);
        writer.Write(Crlf);
    }

    public static void WriteSub(IBufferWriter<byte> writer, string subject, string? queue, long sid)
    {
        var span = writer.GetSpan(MaxControlLine);
        var n = Copy(span, "SUB "u8);
        n += Ascii(span[n..], subject);
        span[n++] = (byte)' ';
        if (queue is not null)
        {
            n += Ascii(span[n..], queue);
            span[n++] = (byte)' ';
        }

        n += Number(span[n..], sid);
        n += Copy(span[n..], Crlf);
        writer.Advance(n);
    }

    public static void WriteUnsub(IBufferWriter<byte> writer, long sid, int? max)
    {
        var span = writer.GetSpan(64);
        var n = Copy(span, "UNSUB "u8);
        n += Number(span[n..], sid);
        if (max is { } m)
        {
            span[n++] = (byte)' ';
            n += Number(span[n..], m);
        }

        n += Copy(span[n..], Crlf);
        writer.Advance(n);
    }

    /// <summary>
    /// PUB (no headers) or HPUB: the control line (with the reply subject, <see cref="NatsPublishItem.ReplyTo"/>
    /// then the token's digits), the header block (<c>Nats-Msg-Id</c> first), the payload. Everything is written
    /// as bytes straight into <paramref name="writer"/>; a message that fits in <see cref="MaxControlLine"/> bytes
    /// takes one span. Nothing is advanced before the header block has been checked against
    /// <see cref="NatsPublishItem.HeaderLength"/>.
    /// </summary>
    public static void WritePublish(IBufferWriter<byte> writer, in NatsPublishItem item)
    {
        var headerLength = item.HeaderLength;
        var payload = item.Payload.Span;
        var reply = item.ReplyTo;
        // Upper bound of the control line: "HPUB " subject ' ' reply token ' ' header-length ' ' total-length CRLF.
        var lineBound = 5 + item.Subject.Length + 1 + (reply?.Length ?? 0) + 20 + 1 + 11 + 1 + 20 + 2;
        var whole = lineBound + headerLength + payload.Length + 2;
        var single = whole <= MaxControlLine;
        var span = writer.GetSpan(single ? whole : lineBound + headerLength);

        var n = Copy(span, headerLength > 0 ? "HPUB "u8 : "PUB "u8);
        n += Ascii(span[n..], item.Subject);
        span[n++] = (byte)' ';
        if (item.ReplyToken >= 0 || reply is not null)
        {
            if (reply is not null)
            {
                n += Ascii(span[n..], reply);
            }

            if (item.ReplyToken >= 0)
            {
                n += Number(span[n..], item.ReplyToken);
            }

            span[n++] = (byte)' ';
        }

        if (headerLength > 0)
        {
            n += Number(span[n..], headerLength);
            span[n++] = (byte)' ';
        }

        n += Number(span[n..], headerLength + payload.Length);
        n += Copy(span[n..], Crlf);
        if (headerLength > 0)
        {
            n += WriteHeaderBlock(span.Slice(n, headerLength), item.MessageId, item.Headers);
        }

        if (single)
        {
            n += Copy(span[n..], payload);
            n += Copy(span[n..], Crlf);
            writer.Advance(n);
            return;
        }

        writer.Advance(n);
        writer.Write(payload);
        writer.Write(Crlf);
    }

    /// <summary>Writes the header block into <paramref name="block"/>, which must be exactly its measured length.</summary>
    private static int WriteHeaderBlock(Span<byte> block, string? messageId, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        try
        {
            var h = Copy(block, "NATS/1.0\r\n"u8);
            if (messageId is not null)
            {
                h += Copy(block[h..], "Nats-Msg-Id: "u8);
                h += Encoding.UTF8.GetBytes(messageId, block[h..]);
                h += Copy(block[h..], Crlf);
            }

            if (headers is not null)
            {
                // Indexed: foreach over an IReadOnlyList boxes its enumerator.
                for (var i = 0; i < headers.Count; i++)
                {
                    var (name, value) = headers[i];
                    h += Encoding.UTF8.GetBytes(name, block[h..]);
                    h += Copy(block[h..], ": "u8);
                    h += Encoding.UTF8.GetBytes(value, block[h..]);
                    h += Copy(block[h..], Crlf);
                }
            }

            h += Copy(block[h..], Crlf);
            if (h == block.Length)
            {
                return h;
            }
        }
        catch (ArgumentException)
        {
            // Longer than measured: reported below.
        }

        throw new InvalidOperationException("the headers changed after the publish item was created (the header block no longer has its measured length)");
    }

    /// <summary>Checks a subject (or reply, or queue) before it goes into a control line; returns it.</summary>
    public static string ValidateSubject(string? subject, string what = "subject")
    {
        if (subject is null || subject.Length == 0 || subject.Length > 1024 || subject.AsSpan().IndexOfAny(" \t\r\n") >= 0 || !System.Text.Ascii.IsValid(subject))
        {
            throw new ArgumentException($"invalid {what} '{subject}': 1..1024 ASCII characters without whitespace", what);
        }

        return subject;
    }

    private static int Copy(Span<byte> destination, ReadOnlySpan<byte> source)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    private static int Ascii(Span<byte> destination, string text)
    {
        System.Text.Ascii.FromUtf16(text, destination, out var written);
        return written;
    }

    private static int Number(Span<byte> destination, long value)
    {
        Utf8Formatter.TryFormat(value, destination, out var written);
        return written;
    }
}
