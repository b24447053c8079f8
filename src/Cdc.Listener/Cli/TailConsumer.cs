using System.Buffers;
using System.Text.Json;
using Cdc.Sink.JetStream;
using Cdc.Sink.Nats;

namespace Cdc.Listener.Cli;

/// <summary>
/// Creates the ephemeral pull consumer of <c>cdc tail</c>: no acks (reading never disturbs other
/// consumers), no subject filter (every sequence is seen, so a gap is a real gap), removed by the
/// server after a short inactivity when tail goes away.
/// </summary>
internal static class TailConsumer
{
    private static readonly TimeSpan InactiveThreshold = TimeSpan.FromSeconds(30);

    /// <summary>Returns the consumer name and the first stream sequence tail should expect (0 when unknown).</summary>
    public static async Task<(string Name, ulong Expected)> CreateAsync(JetStreamContext js, string stream, TailStart start, CancellationToken cancellationToken)
    {
        var info = await js.GetStreamAsync(stream, cancellationToken).ConfigureAwait(false)
            ?? throw new TailException($"stream {stream} does not exist on this server (is --stream right, has cdc run started?)");
        var state = info.State ?? new StreamState();

        // "new" is asked as "from the sequence after the last one": the same thing without a window in
        // which a message stored between the two requests would be skipped unseen.
        var (policy, sequence, time, expected) = start switch
        {
            TailStart.FromStart => ("all", (ulong?)null, (DateTimeOffset?)null, 1UL),
            TailStart.FromSequence s => ("by_start_sequence", s.Sequence, null, s.Sequence),
            TailStart.Since s => ("by_start_time", null, s.Time, 0UL),
            _ => ("by_start_sequence", state.LastSeq + 1, null, state.LastSeq + 1),
        };

        var buffer = new ArrayBufferWriter<byte>(256);
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("stream_name", stream);
            writer.WriteStartObject("config");
            writer.WriteString("deliver_policy", policy);
            if (sequence is { } seq)
            {
                writer.WriteNumber("opt_start_seq", seq);
            }

            if (time is { } t)
            {
                writer.WriteString("opt_start_time", t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture));
            }

            writer.WriteString("ack_policy", "none");
            writer.WriteString("replay_policy", "instant");
            writer.WriteNumber("inactive_threshold", (long)InactiveThreshold.TotalNanoseconds);
            writer.WriteNumber("num_replicas", 1);
            writer.WriteBoolean("mem_storage", true);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        NatsMsg reply;
        try
        {
            reply = await js.Connection.RequestAsync($"$JS.API.CONSUMER.CREATE.{stream}", buffer.WrittenMemory, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NatsNoRespondersException)
        {
            throw new TailException("JetStream is not enabled on this server");
        }

        using var document = JsonDocument.Parse(reply.Data);
        var root = document.RootElement;
        if (root.TryGetProperty("error", out var error))
        {
            var description = error.TryGetProperty("description", out var d) ? d.GetString() : error.ToString();
            throw new TailException($"cannot create a consumer on {stream}: {description}");
        }

        var name = root.GetProperty("name").GetString() ?? throw new TailException("the server returned a consumer without a name");
        return (name, expected);
    }
}

/// <summary>A problem <c>cdc tail</c> reports in one line.</summary>
internal sealed class TailException(string message) : Exception(message);
