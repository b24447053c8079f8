using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.Sink.JetStream;

/// <summary>Creates, updates or validates the destination stream through NATS.Net's JetStream context.</summary>
public static class StreamSetup
{
    /// <summary>
    /// Creates, updates or validates the stream according to <see cref="JetStreamStreamOptions.Mode"/>.
    /// A mismatch that may not be fixed throws a <see cref="JetStreamException"/> listing every differing field.
    /// </summary>
    public static async Task<StreamInfo> EnsureStreamAsync(INatsJSContext js, JetStreamStreamOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;
        try
        {
            var existing = await GetStreamAsync(js, options.Name, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                if (options.Mode == StreamSetupMode.ValidateOnly)
                {
                    throw new JetStreamException(404, 10059, $"stream '{options.Name}' does not exist and JetStream:Mode is ValidateOnly");
                }

                var created = await js.CreateStreamAsync(options.ToConfig(), cancellationToken).ConfigureAwait(false);
                SinkLog.StreamCreated(logger, options.Name, string.Join(",", options.Subjects), options.Storage.ToString(), created.Info.Config.NumReplicas);
                return created.Info;
            }

            var wanted = options.ApplyTo(existing.Config);
            var differences = StreamConfigDiff.Describe(wanted, existing.Config);
            if (differences.Count == 0)
            {
                SinkLog.StreamUnchanged(logger, options.Name);
                return existing;
            }

            if (options.Mode != StreamSetupMode.CreateOrUpdate)
            {
                throw new JetStreamException(400, 10058, $"stream '{options.Name}' exists with a different configuration: {string.Join("; ", differences)}");
            }

            var updated = await js.UpdateStreamAsync(wanted, cancellationToken).ConfigureAwait(false);
            SinkLog.StreamUpdated(logger, options.Name);
            return updated.Info;
        }
        catch (NatsJSApiException e)
        {
            throw new JetStreamException(e.Error.Code, e.Error.ErrCode, e.Error.Description, options.Name);
        }
        catch (NatsNoRespondersException)
        {
            throw new JetStreamException(503, 0, "JetStream is not enabled or not available (no responders for the API)", options.Name);
        }
    }

    /// <summary>The stream's info, or null when it does not exist.</summary>
    public static async Task<StreamInfo?> GetStreamAsync(INatsJSContext js, string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var stream = await js.GetStreamAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return stream.Info;
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == 10059)
        {
            return null;
        }
    }
}
