using System.Globalization;

namespace Cdc.Sink.JetStream;

/// <summary>
/// What the reply subject of a pulled message says:
/// <c>$JS.ACK.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;sseq&gt;.&lt;cseq&gt;.&lt;ts&gt;.&lt;pending&gt;</c>,
/// or the newer form with domain and account hash in front (12 tokens).
/// </summary>
public sealed record AckMetadata(
    string Stream,
    string Consumer,
    ulong NumDelivered,
    ulong StreamSequence,
    ulong ConsumerSequence,
    DateTimeOffset Timestamp,
    ulong NumPending,
    string? Domain)
{
    public static AckMetadata Parse(string replyTo)
    {
        var tokens = replyTo.Split('.');
        if (tokens.Length < 9 || tokens[0] != "$JS" || tokens[1] != "ACK")
        {
            throw new FormatException($"'{replyTo}' is not a JetStream ack subject");
        }

        // 9 tokens: v1. 11 or more: $JS.ACK.<domain>.<account hash>.<stream>... (v2).
        var offset = tokens.Length == 9 ? 2 : 4;
        var domain = tokens.Length == 9 || tokens[2] == "_" ? null : tokens[2];
        if (tokens.Length != 9 && tokens.Length < 11)
        {
            throw new FormatException($"'{replyTo}' has {tokens.Length} tokens");
        }

        var nanos = long.Parse(tokens[offset + 5], CultureInfo.InvariantCulture);
        return new AckMetadata(
            tokens[offset],
            tokens[offset + 1],
            ulong.Parse(tokens[offset + 2], CultureInfo.InvariantCulture),
            ulong.Parse(tokens[offset + 3], CultureInfo.InvariantCulture),
            ulong.Parse(tokens[offset + 4], CultureInfo.InvariantCulture),
            DateTimeOffset.UnixEpoch.AddTicks(nanos / 100),
            ulong.Parse(tokens[offset + 6], CultureInfo.InvariantCulture),
            domain);
    }
}
