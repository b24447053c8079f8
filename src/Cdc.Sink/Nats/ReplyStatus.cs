using System.Buffers;
using System.Buffers.Text;

namespace Cdc.Sink.Nats;

/// <summary>Reads the status code of a header block (<c>NATS/1.0 503</c>) without parsing the headers.</summary>
internal static class ReplyStatus
{
    public static int Of(ProtocolParser frame)
    {
        var headers = frame.Headers;
        if (headers.Length < 12)
        {
            return 0;
        }

        Span<byte> head = stackalloc byte[12];
        headers.Slice(0, 12).CopyTo(head);
        return head.StartsWith("NATS/1.0 "u8) && Utf8Parser.TryParse(head[9..12], out int status, out var used) && used == 3 ? status : 0;
    }
}
