using System.Buffers;
using System.Text;

namespace Cdc.Sink.Nats;

/// <summary>A received message; owns copies of its bytes, so it outlives the read buffer.</summary>
public sealed class NatsMsg
{
    public NatsMsg(string subject, long sid, string? replyTo, NatsHeaders? headers, ReadOnlyMemory<byte> data)
    {
        Subject = subject;
        Sid = sid;
        ReplyTo = replyTo;
        Headers = headers;
        Data = data;
    }

    public string Subject { get; }

    public long Sid { get; }

    public string? ReplyTo { get; }

    public NatsHeaders? Headers { get; }

    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The status in the header line (503, 404, 408 ...), or 0.</summary>
    public int Status => Headers?.Status ?? 0;

    internal static NatsMsg From(ProtocolParser frame) =>
        new(
            Encoding.ASCII.GetString(frame.Subject),
            frame.Sid,
            frame.ReplyTo.IsEmpty ? null : Encoding.ASCII.GetString(frame.ReplyTo),
            frame.Headers.IsEmpty ? null : NatsHeaders.Parse(frame.Headers),
            frame.Payload.IsEmpty ? ReadOnlyMemory<byte>.Empty : frame.Payload.ToArray());
}
