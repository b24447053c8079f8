using System.Text.Json.Serialization;

namespace Cdc.Sink.JetStream;

/// <summary>The error object of a JetStream API response.</summary>
public sealed record ApiError
{
    /// <summary>HTTP-like status (400, 404, 500, 503).</summary>
    public int Code { get; init; }

    /// <summary>JetStream's own code (10058 stream name in use with a different config, 10059 stream not found ...).</summary>
    public int ErrCode { get; init; }

    public string? Description { get; init; }
}

/// <summary>Fields every API response may carry.</summary>
public abstract record ApiResponse
{
    public string? Type { get; init; }

    public ApiError? Error { get; init; }
}

/// <summary>
/// A stream's configuration as the JetStream API spells it (durations in nanoseconds, -1 = unlimited).
/// Build one from <see cref="JetStreamStreamOptions"/>.
/// </summary>
public sealed record StreamConfig
{
    public required string Name { get; init; }

    public IReadOnlyList<string> Subjects { get; init; } = [];

    /// <summary>limits, interest or workqueue.</summary>
    public string Retention { get; init; } = "limits";

    public long MaxConsumers { get; init; } = -1;

    public long MaxMsgs { get; init; } = -1;

    public long MaxBytes { get; init; } = -1;

    /// <summary>Nanoseconds; 0 = no limit.</summary>
    public long MaxAge { get; init; }

    public long MaxMsgsPerSubject { get; init; } = -1;

    public int MaxMsgSize { get; init; } = -1;

    /// <summary>old or new.</summary>
    public string Discard { get; init; } = "old";

    /// <summary>file or memory.</summary>
    public string Storage { get; init; } = "file";

    public int NumReplicas { get; init; } = 1;

    /// <summary>Nanoseconds.</summary>
    public long DuplicateWindow { get; init; } = 120_000_000_000;
}

public sealed record StreamState
{
    public ulong Messages { get; init; }

    public ulong Bytes { get; init; }

    public ulong FirstSeq { get; init; }

    public ulong LastSeq { get; init; }

    public int ConsumerCount { get; init; }
}

public sealed record PeerInfo
{
    public string? Name { get; init; }

    public bool Current { get; init; }

    public bool Offline { get; init; }
}

public sealed record ClusterInfo
{
    public string? Name { get; init; }

    public string? Leader { get; init; }

    public IReadOnlyList<PeerInfo>? Replicas { get; init; }
}

public sealed record StreamInfo : ApiResponse
{
    public StreamConfig? Config { get; init; }

    public StreamState? State { get; init; }

    public ClusterInfo? Cluster { get; init; }
}

public sealed record StreamDeleteResponse : ApiResponse
{
    public bool Success { get; init; }
}

/// <summary>A consumer's configuration (pull consumers: no deliver subject).</summary>
public sealed record ConsumerConfig
{
    /// <summary>Set for a durable consumer; null for an ephemeral one.</summary>
    public string? DurableName { get; init; }

    /// <summary>all, last, new, by_start_sequence ...</summary>
    public string DeliverPolicy { get; init; } = "all";

    public ulong? OptStartSeq { get; init; }

    /// <summary>explicit, all or none.</summary>
    public string AckPolicy { get; init; } = "explicit";

    /// <summary>Nanoseconds before an unacked message is redelivered.</summary>
    public long? AckWait { get; init; }

    public string? FilterSubject { get; init; }

    public string ReplayPolicy { get; init; } = "instant";

    public long? MaxAckPending { get; init; }

    /// <summary>Nanoseconds of inactivity after which the server deletes an ephemeral consumer.</summary>
    public long? InactiveThreshold { get; init; }
}

public sealed record SequenceInfo
{
    public ulong ConsumerSeq { get; init; }

    public ulong StreamSeq { get; init; }
}

public sealed record ConsumerInfo : ApiResponse
{
    public string? StreamName { get; init; }

    public string? Name { get; init; }

    public ConsumerConfig? Config { get; init; }

    public SequenceInfo? Delivered { get; init; }

    public ulong NumPending { get; init; }

    public long NumAckPending { get; init; }
}

internal sealed record CreateConsumerRequest
{
    public required string StreamName { get; init; }

    public required ConsumerConfig Config { get; init; }
}

internal sealed record PullRequest
{
    public int Batch { get; init; }

    /// <summary>Nanoseconds.</summary>
    public long Expires { get; init; }

    public bool NoWait { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamConfig))]
[JsonSerializable(typeof(StreamInfo))]
[JsonSerializable(typeof(StreamDeleteResponse))]
[JsonSerializable(typeof(ConsumerInfo))]
[JsonSerializable(typeof(CreateConsumerRequest))]
[JsonSerializable(typeof(PullRequest))]
internal sealed partial class JetStreamJsonContext : JsonSerializerContext
{
}
