using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Cdc.Sink.Nats;

/// <summary>
/// Parses server operations from the read pipe with a <see cref="SequenceReader{T}"/>. After a successful
/// <see cref="TryRead"/> the properties describe that operation; spans and sequences are valid only
/// until the next call or until the pipe is advanced.
/// </summary>
internal sealed class ProtocolParser
{
    /// <summary>INFO may carry many connect_urls, so it gets a larger (still bounded) limit.</summary>
    public const int MaxInfoLine = 64 * 1024;

    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    private readonly byte[] _line = new byte[ProtocolWriter.MaxControlLine];
    private byte[]? _infoLine;
    private int _lineLength;
    private Range _subject;
    private Range _reply;
    private Range _argument;

    public ProtocolParser(long maxPayload)
    {
        MaxPayload = maxPayload;
    }

    /// <summary>Largest message accepted from the server (its max_payload); larger lengths are a protocol error.</summary>
    public long MaxPayload { get; set; }

    public ServerOp Op { get; private set; }

    public long Sid { get; private set; }

    public ReadOnlySpan<byte> Subject => _line.AsSpan(_subject);

    public ReadOnlySpan<byte> ReplyTo => _line.AsSpan(_reply);

    /// <summary>INFO JSON or the -ERR text.</summary>
    public ReadOnlySpan<byte> Argument => Op == ServerOp.Info && _infoLine is not null ? _infoLine.AsSpan(_argument) : _line.AsSpan(_argument);

    /// <summary>The header block (with its blank line), empty for MSG.</summary>
    public ReadOnlySequence<byte> Headers { get; private set; }

    public ReadOnlySequence<byte> Payload { get; private set; }

    public string ErrorText()
    {
        var text = Encoding.UTF8.GetString(Argument).Trim();
        return text.Length >= 2 && text[0] == '\'' && text[^1] == '\'' ? text[1..^1] : text;
    }

    /// <summary>Reads one operation; false (reader unchanged) when more bytes are needed.</summary>
    public bool TryRead(ref SequenceReader<byte> reader)
    {
        var startConsumed = reader.Consumed;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, Crlf, advancePastDelimiter: true))
        {
            if (reader.Remaining > MaxInfoLine)
            {
                throw new NatsProtocolException($"control line longer than {MaxInfoLine} bytes");
            }

            return false;
        }

        _subject = _reply = _argument = default;
        Headers = Payload = default;
        if (line.Length < 2)
        {
            throw new NatsProtocolException($"unknown operation ({line.Length} bytes)");
        }

        Span<byte> head = stackalloc byte[1];
        line.Slice(0, 1).CopyTo(head);
        var first = Upper(head[0]);
        if (first == (byte)'I')
        {
            ReadInfo(line);
            return true;
        }

        if (line.Length > ProtocolWriter.MaxControlLine)
        {
            throw new NatsProtocolException($"control line of {line.Length} bytes exceeds {ProtocolWriter.MaxControlLine}");
        }

        line.CopyTo(_line);
        _lineLength = (int)line.Length;
        var span = _line.AsSpan(0, _lineLength);
        switch (first)
        {
            case (byte)'M':
            case (byte)'H':
                var isH = first == (byte)'H';
                if (!ReadMsgLine(span, isH, out var headerBytes, out var totalBytes))
                {
                    throw new NatsProtocolException($"malformed {(isH ? "HMSG" : "MSG")} line: {Encoding.ASCII.GetString(span)}");
                }

                if (reader.Remaining < totalBytes + 2)
                {
                    reader.Rewind(reader.Consumed - startConsumed);
                    return false;
                }

                var body = reader.UnreadSequence.Slice(0, totalBytes);
                Headers = body.Slice(0, headerBytes);
                Payload = body.Slice(headerBytes);
                reader.Advance(totalBytes);
                if (!reader.IsNext(Crlf, advancePast: true))
                {
                    throw new NatsProtocolException("message payload is not followed by CRLF");
                }

                Op = ServerOp.Msg;
                return true;
            case (byte)'P' when Upper(span[1]) == (byte)'I':
                Op = ServerOp.Ping;
                return true;
            case (byte)'P' when Upper(span[1]) == (byte)'O':
                Op = ServerOp.Pong;
                return true;
            case (byte)'+':
                Op = ServerOp.Ok;
                return true;
            case (byte)'-':
                Op = ServerOp.Err;
                _argument = span.Length > 4 ? new Range(5, _lineLength) : new Range(_lineLength, _lineLength);
                return true;
            default:
                throw new NatsProtocolException($"unknown operation '{Encoding.ASCII.GetString(span[..Math.Min(8, span.Length)])}'");
        }
    }

    private void ReadInfo(ReadOnlySequence<byte> line)
    {
        if (line.Length < 5)
        {
            throw new NatsProtocolException("empty INFO");
        }

        _infoLine = line.ToArray();
        _argument = new Range(5, _infoLine.Length);
        Op = ServerOp.Info;
    }

    private bool ReadMsgLine(ReadOnlySpan<byte> span, bool withHeaders, out long headerBytes, out long totalBytes)
    {
        headerBytes = totalBytes = 0;
        Span<Range> tokens = stackalloc Range[7];
        var count = Split(span, tokens);
        var expected = withHeaders ? 5 : 4;
        if (count != expected && count != expected + 1)
        {
            return false;
        }

        _subject = tokens[1];
        if (!Utf8Parser.TryParse(span[tokens[2]], out long sid, out var used) || used != span[tokens[2]].Length)
        {
            return false;
        }

        Sid = sid;
        var next = 3;
        if (count == expected + 1)
        {
            _reply = tokens[3];
            next = 4;
        }

        if (withHeaders)
        {
            if (!ParseLength(span[tokens[next]], out headerBytes))
            {
                return false;
            }

            next++;
        }

        if (!ParseLength(span[tokens[next]], out totalBytes) || headerBytes > totalBytes)
        {
            return false;
        }

        if (totalBytes > MaxPayload)
        {
            throw new NatsProtocolException($"message of {totalBytes} bytes exceeds max_payload {MaxPayload}");
        }

        if (withHeaders && headerBytes < 12)
        {
            return false;
        }

        return true;
    }

    private static bool ParseLength(ReadOnlySpan<byte> text, out long value) =>
        Utf8Parser.TryParse(text, out value, out var used) && used == text.Length && value >= 0;

    private static int Split(ReadOnlySpan<byte> span, Span<Range> tokens)
    {
        var count = 0;
        var i = 0;
        while (i < span.Length)
        {
            while (i < span.Length && (span[i] == ' ' || span[i] == '\t'))
            {
                i++;
            }

            if (i == span.Length)
            {
                break;
            }

            var begin = i;
            while (i < span.Length && span[i] != ' ' && span[i] != '\t')
            {
                i++;
            }

            if (count == tokens.Length)
            {
                return -1;
            }

            tokens[count++] = new Range(begin, i);
        }

        return count;
    }

    private static byte Upper(byte b) => b is >= (byte)'a' and <= (byte)'z' ? (byte)(b - 32) : b;
}
