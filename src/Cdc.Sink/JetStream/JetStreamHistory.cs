using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Sink.JetStream;

/// <summary>
/// Reads a JetStream stream back through NATS.Net: single messages by sequence, the last message per subject, and the
/// message ids of a range (a short-lived headers-only consumer, so a read costs a few requests, not one per message).
/// </summary>
public sealed class JetStreamHistory(INatsJSContext js, string stream) : IStreamHistory, IStreamMessageIds
{
    private const string MessageIdHeader = "Nats-Msg-Id";
    private const string ContentTypeHeader = "Content-Type";

    /// <summary>Messages per pull: within NATS.Net's pending channel of a subscription (1,024), which drops what overflows.</summary>
    private const int PullBatch = 1000;

    public Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, CancellationToken cancellationToken = default)
        => FindNewestAsync(idMatches, maxScan, stopAt: null, after: 0, cancellationToken);

    /// <summary>
    /// As <see cref="FindNewestAsync(Func{string, bool}, int, CancellationToken)"/>, but the walk also ends (with that
    /// message) at the first id <paramref name="stopAt"/> accepts: a message known to be older than every match; and only
    /// messages stored after sequence <paramref name="after"/> are read (all when the stream's sequences are below it now:
    /// the stream was made anew).
    /// </summary>
    /// <remarks>
    /// A few JetStream API requests however far back the message lies: the stream's state, the newest message (after an
    /// outage usually the one wanted), then the ids of the rest of the bound in one pull of an ephemeral headers-only consumer,
    /// and the message found: six for a bound of 1,000 (one more, empty, pull when its last message was deleted). nats-server 2.9 has no batched direct get.
    /// </remarks>
    internal Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, Func<string, bool>? stopAt, ulong after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idMatches);
        bool Wanted(string id) => idMatches(id) || stopAt?.Invoke(id) == true;
        return MapErrorsAsync(async () =>
        {
            var handle = await js.GetStreamAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            var state = handle.Info.State;
            // Sequences that went back: the stream was made anew since, and all it holds is newer.
            var floor = state.LastSeq < after ? 0 : after;
            if (state.Messages == 0 || state.LastSeq <= floor)
            {
                return null;
            }

            if (await GetStoredAsync(handle, state.LastSeq, cancellationToken).ConfigureAwait(false) is { } last && Wanted(last.MessageId))
            {
                return last;
            }

            var lowest = FirstOfNewest(state, maxScan);
            lowest = Math.Max(lowest, floor + 1);
            if (lowest >= state.LastSeq)
            {
                return null;
            }

            var newest = await NewestWantedAsync(handle, lowest, state.LastSeq - 1, Wanted, cancellationToken).ConfigureAwait(false);
            return newest is { } seq ? await GetStoredAsync(handle, seq, cancellationToken).ConfigureAwait(false) : null;
        });
    }

    /// <summary>The sequence of the newest message from <paramref name="from"/> to <paramref name="to"/> whose id is wanted.</summary>
    private static async Task<ulong?> NewestWantedAsync(INatsJSStream handle, ulong from, ulong to, Func<string, bool> wanted, CancellationToken cancellationToken)
    {
        ulong? newest = null;
        await ReadIdsAsync(handle, from, to, subjectFilter: null, (seq, id) =>
        {
            if (wanted(id))
            {
                newest = seq;
            }
        }, cancellationToken).ConfigureAwait(false);
        return newest;
    }

    /// <summary>
    /// Calls <paramref name="visit"/> with the sequence and <c>Nats-Msg-Id</c> (empty when none) of each message from
    /// <paramref name="from"/> to <paramref name="to"/>, oldest first, read with no-wait pulls of at most
    /// <see cref="PullBatch"/> messages of an ephemeral headers-only consumer (deleted after; its inactivity threshold
    /// removes it if the delete is lost). Deleted messages, and those off <paramref name="subjectFilter"/>, are skipped
    /// by the server.
    /// </summary>
    private static async Task ReadIdsAsync(INatsJSStream handle, ulong from, ulong to, string? subjectFilter, Action<ulong, string> visit, CancellationToken cancellationToken)
    {
        INatsJSConsumer consumer;
        try
        {
            consumer = await CreateReaderAsync(handle, from, subjectFilter, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsJSApiException or NatsNoReplyException or NatsJSApiNoResponseException or NatsTimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // The stream answered its info just now, so this is no silence: a user without consumer rights (nats-server drops
            // the request and answers nothing) or a stream at max_consumers. Read as before consumers: a GET per message.
            await ReadIdsByGetAsync(handle, from, to, subjectFilter, visit, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            var fetch = new NatsJSFetchOpts { MaxMsgs = PullBatch };
            for (var pulled = PullBatch; pulled > 0;)
            {
                pulled = 0;
                await foreach (var message in consumer.FetchNoWaitAsync(fetch, NatsRawSerializer<byte[]>.Default, cancellationToken).ConfigureAwait(false))
                {
                    pulled++;
                    var seq = message.Metadata?.Sequence.Stream ?? 0;
                    if (seq > to)
                    {
                        return; // stored after the read started
                    }

                    visit(seq, message.Headers is { } headers && headers.TryGetValue(MessageIdHeader, out var id) ? id.ToString() : string.Empty);
                    if (seq == to)
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            await DeleteQuietlyAsync(handle, consumer.Info.Name).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What <see cref="ReadIdsAsync"/> does without a consumer: one STREAM.MSG.GET per message (the next on
    /// <paramref name="subjectFilter"/>, or on any subject, from a sequence), oldest first.
    /// </summary>
    private static async Task ReadIdsByGetAsync(INatsJSStream handle, ulong from, ulong to, string? subjectFilter, Action<ulong, string> visit, CancellationToken cancellationToken)
    {
        for (var seq = from; seq <= to;)
        {
            if (await GetOrNullAsync(handle, new StreamMsgGetRequest { Seq = seq, NextBySubj = subjectFilter ?? ">" }, cancellationToken).ConfigureAwait(false) is not { } response
                || response.Message.Seq > to)
            {
                return;
            }

            visit(response.Message.Seq, HeaderOf(HeaderText(response.Message.Hdrs), MessageIdHeader));
            seq = response.Message.Seq + 1;
        }
    }

    private static async Task<INatsJSConsumer> CreateReaderAsync(INatsJSStream handle, ulong from, string? subjectFilter, CancellationToken cancellationToken)
        => await handle.CreateOrUpdateConsumerAsync(
            new ConsumerConfig
            {
                // Named, so that NATS.Net asks CONSUMER.CREATE.<stream>.<name>.<filter>, which nats-server 2.9 accepts with a
                // filter (without a name it refuses one: 10131). Not durable: its inactivity threshold applies.
                Name = "cdc_read_" + Guid.NewGuid().ToString("N"),
                DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence,
                OptStartSeq = from,
                FilterSubject = subjectFilter,
                AckPolicy = ConsumerConfigAckPolicy.None,
                HeadersOnly = true,
                MemStorage = true,
                NumReplicas = 1,
                InactiveThreshold = TimeSpan.FromSeconds(30),
            },
            cancellationToken).ConfigureAwait(false);

    /// <summary>Deletes a consumer of this read; a failure is left to its inactivity threshold, never to the caller.</summary>
    private static async Task DeleteQuietlyAsync(INatsJSStream handle, string consumer)
    {
        try
        {
            await handle.DeleteConsumerAsync(consumer, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException)
        {
        }
    }

    /// <summary>The message at <paramref name="seq"/> with its headers and payload; null when deleted.</summary>
    private static async Task<StoredMessage?> GetStoredAsync(INatsJSStream handle, ulong seq, CancellationToken cancellationToken)
    {
        if (await GetOrNullAsync(handle, new StreamMsgGetRequest { Seq = seq }, cancellationToken).ConfigureAwait(false) is not { } response)
        {
            return null;
        }

        var message = response.Message;
        var headers = HeaderText(message.Hdrs);
        return new StoredMessage(message.Seq, message.Subject, HeaderOf(headers, MessageIdHeader), HeaderOf(headers, ContentTypeHeader), message.Data) { Headers = headers };
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

            // One consumer filtered by the server: a pull per 1,000 matching messages, not a request per message.
            var from = FirstOfNewest(state, maxScan);
            await ReadIdsAsync(handle, from, state.LastSeq, subjectFilter, (_, id) =>
            {
                if (id.Length > 0)
                {
                    ids.Add(id);
                }
            }, cancellationToken).ConfigureAwait(false);

            return ids;
        });
    }

    /// <summary>The sequence that starts the newest <paramref name="count"/> messages of the stream (its first when it holds fewer).</summary>
    private static ulong FirstOfNewest(StreamState state, int count)
        => state.LastSeq >= (ulong)count ? Math.Max(state.FirstSeq, state.LastSeq - (ulong)count + 1) : state.FirstSeq;

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
