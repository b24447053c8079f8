using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Cdc.Sink.Nats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdc.Sink.JetStream;

/// <summary>
/// JetStream over a <see cref="NatsConnection"/>: stream management, publish with PubAck, and pull
/// consumers. API calls are request/reply on <c>$JS.API.</c>.
/// </summary>
public sealed class JetStreamContext
{
    private readonly NatsConnection _connection;
    private readonly ILogger _logger;
    private readonly string _api;

    public JetStreamContext(NatsConnection connection, ILogger<JetStreamContext>? logger = null, string apiPrefix = "$JS.API")
    {
        _connection = connection;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _api = apiPrefix.TrimEnd('.');
    }

    public NatsConnection Connection => _connection;

    public async Task<StreamInfo> CreateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        var info = await ApiAsync($"{_api}.STREAM.CREATE.{config.Name}", config, JetStreamJsonContext.Default.StreamConfig, JetStreamJsonContext.Default.StreamInfo, cancellationToken).ConfigureAwait(false);
        SinkLog.StreamCreated(_logger, config.Name, string.Join(",", config.Subjects), config.Storage, config.NumReplicas);
        return info;
    }

    public async Task<StreamInfo> UpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        var info = await ApiAsync($"{_api}.STREAM.UPDATE.{config.Name}", config, JetStreamJsonContext.Default.StreamConfig, JetStreamJsonContext.Default.StreamInfo, cancellationToken).ConfigureAwait(false);
        SinkLog.StreamUpdated(_logger, config.Name);
        return info;
    }

    /// <summary>The stream's info, or null when it does not exist.</summary>
    public async Task<StreamInfo?> GetStreamAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ApiAsync<object?, StreamInfo>($"{_api}.STREAM.INFO.{name}", null, null, JetStreamJsonContext.Default.StreamInfo, cancellationToken).ConfigureAwait(false);
        }
        catch (JetStreamException e) when (e.IsStreamNotFound)
        {
            return null;
        }
    }

    public async Task<bool> DeleteStreamAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await ApiAsync<object?, StreamDeleteResponse>($"{_api}.STREAM.DELETE.{name}", null, null, JetStreamJsonContext.Default.StreamDeleteResponse, cancellationToken).ConfigureAwait(false);
            return response.Success;
        }
        catch (JetStreamException e) when (e.IsStreamNotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// Creates, updates or validates the stream according to <see cref="JetStreamStreamOptions.Mode"/>.
    /// A mismatch that may not be fixed throws a <see cref="JetStreamException"/> listing the differences.
    /// </summary>
    public async Task<StreamInfo> EnsureStreamAsync(JetStreamStreamOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var wanted = options.ToConfig();
        var existing = await GetStreamAsync(options.Name, cancellationToken).ConfigureAwait(false);
        if (existing?.Config is null)
        {
            if (options.Mode == StreamSetupMode.ValidateOnly)
            {
                throw new JetStreamException(404, 10059, $"stream '{options.Name}' does not exist and JetStream:Mode is ValidateOnly");
            }

            return await CreateStreamAsync(wanted, cancellationToken).ConfigureAwait(false);
        }

        var differences = StreamConfigDiff.Describe(wanted, existing.Config);
        if (differences.Count == 0)
        {
            SinkLog.StreamUnchanged(_logger, options.Name);
            return existing;
        }

        if (options.Mode != StreamSetupMode.CreateOrUpdate)
        {
            throw new JetStreamException(400, 10058, $"stream '{options.Name}' exists with a different configuration: {string.Join("; ", differences)}");
        }

        return await UpdateStreamAsync(wanted, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes one message and waits for its PubAck. A duplicate (same <paramref name="messageId"/>
    /// inside the duplicate window) is success with <see cref="PubAck.Duplicate"/> set.
    /// </summary>
    public async Task<PubAck> PublishAsync(
        string subject,
        ReadOnlyMemory<byte> payload,
        string? messageId = null,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        PubAck ack;
        try
        {
            ack = await _connection.RequestAsync(subject, payload, messageId, headers, static frame => PubAck.Parse(frame.Payload), timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsNoRespondersException)
        {
            throw new JetStreamNoStreamException(subject);
        }

        return ack.Error is { } error ? throw new JetStreamException(error, subject) : ack;
    }

    /// <summary>Creates a pull consumer: durable when <see cref="ConsumerConfig.DurableName"/> is set, otherwise ephemeral.</summary>
    public Task<ConsumerInfo> CreateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
    {
        var subject = config.DurableName is { } durable
            ? $"{_api}.CONSUMER.DURABLE.CREATE.{stream}.{durable}"
            : $"{_api}.CONSUMER.CREATE.{stream}";
        return ApiAsync(subject, new CreateConsumerRequest { StreamName = stream, Config = config }, JetStreamJsonContext.Default.CreateConsumerRequest, JetStreamJsonContext.Default.ConsumerInfo, cancellationToken);
    }

    public async Task DeleteConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default) =>
        await ApiAsync<object?, StreamDeleteResponse>($"{_api}.CONSUMER.DELETE.{stream}.{consumer}", null, null, JetStreamJsonContext.Default.StreamDeleteResponse, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Pulls up to <paramref name="batch"/> messages, waiting at most <paramref name="expires"/> for them.
    /// Returns fewer (or none) when the consumer has no more within that time.
    /// </summary>
    public async Task<IReadOnlyList<JsMsg>> FetchAsync(string stream, string consumer, int batch, TimeSpan expires, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var inbox = _connection.Mux.Prefix + "fetch." + Nuid.Next();
        await using var sub = await _connection.SubscribeAsync(inbox, cancellationToken: cancellationToken).ConfigureAwait(false);
        var request = JsonSerializer.SerializeToUtf8Bytes(
            new PullRequest { Batch = batch, Expires = JetStreamStreamOptions.ToNanos(expires), NoWait = false },
            JetStreamJsonContext.Default.PullRequest);
        await _connection.PublishManyAsync(
            new[] { new NatsPublishItem($"{_api}.CONSUMER.MSG.NEXT.{stream}.{consumer}", request, ReplyTo: inbox) },
            cancellationToken).ConfigureAwait(false);

        var messages = new List<JsMsg>(Math.Min(batch, 1024));
        var deadline = DateTime.UtcNow + expires + TimeSpan.FromSeconds(1);
        while (messages.Count < batch)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            var msg = await sub.NextAsync(left, cancellationToken).ConfigureAwait(false);
            if (msg is null)
            {
                break;
            }

            switch (msg.Status)
            {
                case 0:
                    messages.Add(new JsMsg(_connection, msg));
                    break;
                case 100:
                    continue; // heartbeat
                case 404 or 408 or 409:
                    return messages; // no messages, request expired, or limits: the pull is over
                default:
                    throw new JetStreamException(msg.Status, 0, msg.Headers?.StatusDescription, "fetch");
            }
        }

        return messages;
    }

    private async Task<TResponse> ApiAsync<TRequest, TResponse>(
        string subject,
        TRequest request,
        JsonTypeInfo<TRequest>? requestInfo,
        JsonTypeInfo<TResponse> responseInfo,
        CancellationToken cancellationToken)
        where TResponse : ApiResponse
    {
        var payload = request is null || requestInfo is null ? ReadOnlyMemory<byte>.Empty : JsonSerializer.SerializeToUtf8Bytes(request, requestInfo);
        NatsMsg reply;
        try
        {
            reply = await _connection.RequestAsync(subject, payload, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NatsNoRespondersException)
        {
            throw new JetStreamException(503, 0, "JetStream is not enabled or not available (no responders for the API)", subject);
        }

        var response = JsonSerializer.Deserialize(reply.Data.Span, responseInfo)
            ?? throw new JetStreamException(500, 0, "empty API response", subject);
        return response.Error is { } error
            ? throw new JetStreamException(error, subject)
            : response;
    }
}
