using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Sink.JetStream;

/// <summary>Reads a JetStream stream back through NATS.Net: single messages by sequence, and the last message per subject.</summary>
public sealed class JetStreamHistory(INatsJSContext js, string stream) : IStreamHistory
{
    private const string MessageIdHeader = "Nats-Msg-Id";

    public async Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(idMatches);
        try
        {
            var handle = await js.GetStreamAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            var state = handle.Info.State;
            if (state.Messages == 0)
            {
                return null;
            }

            var lowest = state.LastSeq >= (ulong)maxScan ? Math.Max(state.FirstSeq, state.LastSeq - (ulong)maxScan + 1) : state.FirstSeq;
            for (var seq = state.LastSeq; seq >= lowest && seq > 0; seq--)
            {
                StreamMsgGetResponse response;
                try
                {
                    response = await handle.GetAsync(new StreamMsgGetRequest { Seq = seq }, cancellationToken).ConfigureAwait(false);
                }
                catch (NatsJSApiException e) when (e.Error.Code == 404)
                {
                    continue; // deleted message
                }

                var message = response.Message;
                var id = MessageIdOf(message.Hdrs);
                if (idMatches(id))
                {
                    return new StoredMessage(message.Seq, message.Subject, id, message.Data);
                }
            }

            return null;
        }
        catch (NatsJSApiException e)
        {
            throw new JetStreamException(e.Error.Code, e.Error.ErrCode, e.Error.Description, stream);
        }
        catch (NatsNoRespondersException)
        {
            throw new JetStreamException(503, 0, "JetStream is not available (no responders for the API)", stream);
        }
    }

    public async Task<IReadOnlyList<StoredMessage>> LastPerSubjectAsync(Func<string, bool> subjectMatches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subjectMatches);
        var result = new List<StoredMessage>();
        try
        {
            // Unfiltered (nats-server 2.9 refuses NATS.Net's API for filters of several tokens), one message per subject:
            // a stream holds a few subjects per table, so this reads a bounded amount whatever the stream's length.
            var consumer = await js.CreateOrderedConsumerAsync(stream, new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject }, cancellationToken).ConfigureAwait(false);
            var pending = consumer.Info.NumPending;
            while (pending > 0)
            {
                var received = 0;
                await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1000 }, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    received++;
                    pending = msg.Metadata?.NumPending ?? 0;
                    if (subjectMatches(msg.Subject))
                    {
                        var id = msg.Headers is { } headers && headers.TryGetValue(MessageIdHeader, out var value) ? value.ToString() : string.Empty;
                        result.Add(new StoredMessage(msg.Metadata?.Sequence.Stream ?? 0, msg.Subject, id, msg.Data ?? []));
                    }
                }

                if (received == 0)
                {
                    break;
                }
            }

            return result;
        }
        catch (NatsJSApiException e)
        {
            throw new JetStreamException(e.Error.Code, e.Error.ErrCode, e.Error.Description, stream);
        }
        catch (NatsNoRespondersException)
        {
            throw new JetStreamException(503, 0, "JetStream is not available (no responders for the API)", stream);
        }
    }

    /// <summary>The <c>Nats-Msg-Id</c> in a stored message's raw headers (<c>NATS/1.0</c>, then <c>Name: Value</c> lines), base64 as the API returns them.</summary>
    internal static string MessageIdOf(string? base64Headers)
    {
        if (string.IsNullOrEmpty(base64Headers))
        {
            return string.Empty;
        }

        var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64Headers));
        foreach (var line in text.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(MessageIdHeader, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return string.Empty;
    }
}
