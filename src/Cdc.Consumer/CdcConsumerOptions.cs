using Cdc.Consumer.Cursors;
using Cdc.Consumer.Errors;
using Cdc.Consumer.Gaps;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace Cdc.Consumer;

/// <summary>How a <see cref="CdcConsumer"/> connects, what it reads, where it keeps its cursor and what it does on failures.</summary>
public sealed record CdcConsumerOptions
{
    /// <summary>Connection options passed to NATS.Net as they are (URL, credentials, TLS, name).</summary>
    public NatsOpts Nats { get; init; } = NatsOpts.Default;

    /// <summary>The JetStream stream Cdc publishes to (<c>Cdc:Nats:Stream</c>, default <c>CDC</c>).</summary>
    public string Stream { get; init; } = "CDC";

    /// <summary>
    /// The consumer's name: the key of its cursor and errors, and the durable consumer's name with
    /// <see cref="JetStreamCursorStore"/>. A NATS token: no '.', '*', '&gt;' or whitespace.
    /// </summary>
    public required string ConsumerName { get; init; }

    /// <summary>
    /// Subjects to read (wildcards allowed), e.g. from <see cref="CdcSubjects"/>; empty reads the whole stream. More than one
    /// filter needs nats-server 2.10 to filter on the server; older servers send everything and the consumer drops the rest.
    /// </summary>
    public IReadOnlyList<string> FilterSubjects { get; init; } = [];

    /// <summary>Where the cursor is kept (default: a JetStream durable consumer).</summary>
    public ICursorStore CursorStore { get; init; } = new JetStreamCursorStore();

    /// <summary>Retries of a failing handler.</summary>
    public RetryOptions Retry { get; init; } = new();

    /// <summary>Skip the event or stop once its retries are spent and it is recorded (default: stop).</summary>
    public ErrorPolicy ErrorPolicy { get; init; } = ErrorPolicy.Stop;

    /// <summary>Where failed events are recorded (e.g. <see cref="PostgresErrorSink"/>); null logs them only.</summary>
    public IConsumerErrorSink? ErrorSink { get; init; }

    /// <summary>Called for every gap (events that left the stream unread), after the metric counted it.</summary>
    public Func<CdcGap, CancellationToken, ValueTask>? OnGap { get; init; }

    /// <summary>Messages the ordered consumer asks for at a time (1 to 10,000, default 256).</summary>
    public int BatchSize { get; init; } = 256;

    public ILoggerFactory? LoggerFactory { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConsumerName) || ConsumerName.AsSpan().IndexOfAny(" \t\r\n.*>") >= 0)
        {
            throw new ArgumentException($"ConsumerName '{ConsumerName}' must be a non-empty NATS token (no '.', '*', '>' or whitespace)", nameof(ConsumerName));
        }

        if (string.IsNullOrWhiteSpace(Stream))
        {
            throw new ArgumentException("Stream must name the JetStream stream Cdc publishes to", nameof(Stream));
        }

        if (BatchSize is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be between 1 and 10000");
        }

        ArgumentNullException.ThrowIfNull(CursorStore);
        ArgumentNullException.ThrowIfNull(Retry);
        Retry.Validate();
    }
}
