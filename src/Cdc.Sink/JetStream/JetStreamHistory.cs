using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Sink.JetStream;

/// <summary>Reads a JetStream stream back through NATS.Net: single messages by sequence, and the last message per subject.</summary>
public sealed class JetStreamHistory(INatsJSContext js, string stream) : IStreamHistory, IStreamMessageIds
{
    private const string MessageIdHeader = "Nats-Msg-Id";
    private const string ContentTypeHeader = "Content-Type";

    public Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, CancellationToken cancellationToken = default)
        => FindNewestAsync(idMatches, maxScan, stopAt: null, cancellationToken);

    /// <summary>
    /// As <see cref="FindNewestAsync(Func{string, bool}, int, CancellationToken)"/>, but the walk also ends (with that
    /// message) at the first id <paramref name="stopAt"/> accepts: a message known to be older than every match.
    /// </summary>
    internal Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, Func<string, bool>? stopAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idMatches);
        return MapErrorsAsync(async () =>
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
                if (await GetOrNullAsync(handle, new StreamMsgGetRequest { Seq = seq }, cancellationToken).ConfigureAwait(false) is not { } response)
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

            return (StoredMessage?)null;
        });
    }

    public Task<IReadOnlyList<StoredMessage>> LastPerSubjectAsync(string subjectFilter, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectFilter);
        return MapErrorsAsync<IReadOnlyList<StoredMessage>>(async () =>
        {
            // The stream's subjects (filtered by the server), then each one's last message: no consumer, which nats-server
            // 2.9 would refuse for a filter of several tokens with last-per-subject delivery.
            var result = new List<StoredMessage>();
            var handle = await js.GetStreamAsync(stream, new StreamInfoRequest { SubjectsFilter = subjectFilter }, cancellationToken).ConfigureAwait(false);
            foreach (var subject in handle.Info.State.Subjects?.Keys ?? [])
            {
                if (await GetOrNullAsync(handle, new StreamMsgGetRequest { LastBySubj = subject }, cancellationToken).ConfigureAwait(false) is not { } response)
                {
                    continue; // removed since the listing
                }

                var message = response.Message;
                var headers = HeaderText(message.Hdrs);
                result.Add(new StoredMessage(message.Seq, message.Subject, HeaderOf(headers, MessageIdHeader), HeaderOf(headers, ContentTypeHeader), message.Data) { Headers = headers });
            }

            return result;
        });
    }

    public Task<IReadOnlyList<string>> ReadMessageIdsAsync(string subjectFilter, int maxScan, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectFilter);
        return MapErrorsAsync<IReadOnlyList<string>>(async () =>
        {
            var ids = new List<string>();
            var handle = await js.GetStreamAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            var state = handle.Info.State;
            if (state.Messages == 0)
            {
                return ids;
            }

            // Direct gets of the next message on the filter from a sequence: the server skips other subjects, so the cost
            // is one request per matching message, not per sequence scanned.
            var seq = state.LastSeq >= (ulong)maxScan ? Math.Max(state.FirstSeq, state.LastSeq - (ulong)maxScan + 1) : state.FirstSeq;
            while (seq <= state.LastSeq)
            {
                if (await GetOrNullAsync(handle, new StreamMsgGetRequest { Seq = seq, NextBySubj = subjectFilter }, cancellationToken).ConfigureAwait(false) is not { } response)
                {
                    break; // nothing more on the filter
                }

                var message = response.Message;
                if (message.Seq > state.LastSeq)
                {
                    break; // stored after the scan started
                }

                var id = HeaderOf(HeaderText(message.Hdrs), MessageIdHeader);
                if (id.Length > 0)
                {
                    ids.Add(id);
                }

                seq = message.Seq + 1;
            }

            return ids;
        });
    }

    /// <summary>One message, or null when the server has none for <paramref name="request"/> (deleted, purged, none on the filter).</summary>
    private static async Task<StreamMsgGetResponse?> GetOrNullAsync(INatsJSStream handle, StreamMsgGetRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await handle.GetAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return null;
        }
    }

    /// <summary>Runs a read of the stream with NATS.Net's errors as <see cref="JetStreamException"/>s naming the stream.</summary>
    private async Task<T> MapErrorsAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
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
