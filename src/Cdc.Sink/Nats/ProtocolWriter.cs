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
    /// PUB (no headers) or HPUB. <paramref name="messageId"/> becomes the first header <c>Nats-Msg-Id</c>.
    /// </summary>
    public static void WritePublish(
        IBufferWriter<byte> writer,
        string subject,
        string? replyTo,
        string? messageId,
        IReadOnlyList<KeyValuePair<string, string>>? headers,
        ReadOnlySequence<byte> payload)
    {
        var hasHeaders = messageId is not null || headers is { Count: > 0 };
        var headerLength = hasHeaders ? NatsHeaders.BlockLength(messageId, headers) : 0;
        var span = writer.GetSpan(MaxControlLine);
        var n = Copy(span, hasHeaders ? "HPUB "u8 : "PUB "u8);
        n += Ascii(span[n..], subject);
        span[n++] = (byte)' ';
        if (replyTo is not null)
        {
            n += Ascii(span[n..], replyTo);
            span[n++] = (byte)' ';
        }

        if (hasHeaders)
        {
            n += Number(span[n..], headerLength);
            span[n++] = (byte)' ';
        }

        n += Number(span[n..], headerLength + payload.Length);
        n += Copy(span[n..], Crlf);
        writer.Advance(n);

        if (hasHeaders)
        {
            var block = writer.GetSpan(headerLength);
            var h = Copy(block, "NATS/1.0\r\n"u8);
            if (messageId is not null)
            {
                h += Copy(block[h..], "Nats-Msg-Id: "u8);
                h += Encoding.UTF8.GetBytes(messageId, block[h..]);
                h += Copy(block[h..], Crlf);
            }

            if (headers is not null)
            {
                foreach (var (name, value) in headers)
                {
                    h += Encoding.UTF8.GetBytes(name, block[h..]);
                    h += Copy(block[h..], ": "u8);
                    h += Encoding.UTF8.GetBytes(value, block[h..]);
                    h += Copy(block[h..], Crlf);
                }
            }

            h += Copy(block[h..], Crlf);
            writer.Advance(h);
        }

        foreach (var segment in payload)
        {
            writer.Write(segment.Span);
        }

        writer.Write(Crlf);
    }

    /// <summary>Checks a subject (or reply, or queue) before it goes into a control line.</summary>
    public static void ValidateSubject(string subject, string what = "subject")
    {
        if (subject.Length == 0 || subject.Length > 1024 || subject.AsSpan().IndexOfAny(" \t\r\n") >= 0 || !System.Text.Ascii.IsValid(subject))
        {
            throw new ArgumentException($"invalid {what} '{subject}': 1..1024 ASCII characters without whitespace", what);
        }
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
