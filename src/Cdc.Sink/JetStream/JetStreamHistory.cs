using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Sink.JetStream;

/// <summary>Reads a JetStream stream back through NATS.Net: single messages by sequence, and the last message per subject.</summary>
public sealed class JetStreamHistory(INatsJSContext js, string stream) : IStreamHistory
{
    private const string MessageIdHeader = "Nats-Msg-Id";
    private const string ContentTypeHeader = "Content-Type";

    public Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, CancellationToken cancellationToken = default)
        => FindNewestAsync(idMatches, maxScan, stopAt: null, cancellationToken);

    /// <summary>
    /// As <see cref="FindNewestAsync(Func{string, bool}, int, CancellationToken)"/>, but the walk also ends (with that
    /// message) at the first id <paramref name="stopAt"/> accepts: a message known to be older than every match.
    /// </summary>
    internal async Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, Func<string, bool>? stopAt, CancellationToken cancellationToken)
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
                var headers = HeaderText(message.Hdrs);
                var id = HeaderOf(headers, MessageIdHeader);
                if (idMatches(id) || stopAt?.Invoke(id) == true)
                {
                    return new StoredMessage(message.Seq, message.Subject, id, HeaderOf(headers, ContentTypeHeader), message.Data) { Headers = headers };
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

    public async Task<IReadOnlyList<StoredMessage>> LastPerSubjectAsync(string subjectFilter, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectFilter);
        var result = new List<StoredMessage>();
        try
        {
            // The stream's subjects (filtered by the server), then each one's last message: no consumer, which nats-server
            // 2.9 would refuse for a filter of several tokens with last-per-subject delivery.
            var handle = await js.GetStreamAsync(stream, new StreamInfoRequest { SubjectsFilter = subjectFilter }, cancellationToken).ConfigureAwait(false);
            foreach (var subject in handle.Info.State.Subjects?.Keys ?? [])
            {
                StreamMsgGetResponse response;
                try
                {
                    response = await handle.GetAsync(new StreamMsgGetRequest { LastBySubj = subject }, cancellationToken).ConfigureAwait(false);
                }
                catch (NatsJSApiException e) when (e.Error.Code == 404)
                {
                    continue; // removed since the listing
                }

                var message = response.Message;
                var headers = HeaderText(message.Hdrs);
                result.Add(new StoredMessage(message.Seq, message.Subject, HeaderOf(headers, MessageIdHeader), HeaderOf(headers, ContentTypeHeader), message.Data) { Headers = headers });
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

    /// <summary>A stored message's raw headers (<c>NATS/1.0</c>, then <c>Name: Value</c> lines), from the base64 the API returns.</summary>
    internal static string HeaderText(string? base64Headers)
        => string.IsNullOrEmpty(base64Headers) ? string.Empty : Encoding.UTF8.GetString(Convert.FromBase64String(base64Headers));

    /// <summary>The first value of header <paramref name="name"/>; empty when absent.</summary>
    internal static string HeaderOf(string headers, string name)
    {
        foreach (var line in headers.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return string.Empty;
    }
}
