using Cdc.Sink.Connection;
using NATS.Client.JetStream.Models;

namespace Cdc.Sink.JetStream;

public enum StreamRetention
{
    Limits,
    Interest,
    WorkQueue,
}

public enum StreamStorage
{
    File,
    Memory,
}

public enum StreamDiscard
{
    Old,
    New,
}

/// <summary>What <see cref="StreamSetup.EnsureStreamAsync"/> may do to the stream.</summary>
public enum StreamSetupMode
{
    /// <summary>Create it when missing, update it when its configuration differs.</summary>
    CreateOrUpdate,

    /// <summary>Create it when missing; fail when it exists with a different configuration.</summary>
    CreateOrValidate,

    /// <summary>It must exist with this configuration (nothing is changed).</summary>
    ValidateOnly,
}

/// <summary>
/// The destination stream (section <c>JetStream</c>). Immutable; <see cref="Validate"/> names the bad key.
/// Name, subjects, retention and storage are always Cdc's. Replicas, the duplicate window and the limits are
/// Cdc's only when set: left null, a new stream gets the server's default and an existing stream keeps what
/// its operator gave it (a cap raised or lowered by hand is not undone at the next start).
/// </summary>
public sealed record JetStreamStreamOptions
{
    public string Name { get; init; } = "CDC";

    public IReadOnlyList<string> Subjects { get; init; } = ["cdc.>"];

    public StreamRetention Retention { get; init; } = StreamRetention.Limits;

    public StreamStorage Storage { get; init; } = StreamStorage.File;

    /// <summary>Null: 1 for a new stream, an existing stream's kept.</summary>
    public int? Replicas { get; init; }

    /// <summary>How long JetStream remembers a Nats-Msg-Id (replays inside it are dropped). Null: 2 minutes for a new stream, an existing stream's kept.</summary>
    public TimeSpan? DuplicateWindow { get; init; }

    /// <summary>Zero: keep forever. Null: forever for a new stream, an existing stream's kept.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>-1: unlimited. Null: unlimited for a new stream, an existing stream's kept.</summary>
    public long? MaxBytes { get; init; }

    /// <summary>-1: unlimited. Null: unlimited for a new stream, an existing stream's kept.</summary>
    public long? MaxMessages { get; init; }

    /// <summary>-1: the server's max_payload. Null: that for a new stream, an existing stream's kept.</summary>
    public int? MaxMessageSize { get; init; }

    /// <summary>Null: old for a new stream, an existing stream's kept.</summary>
    public StreamDiscard? Discard { get; init; }

    public StreamSetupMode Mode { get; init; } = StreamSetupMode.CreateOrUpdate;

    public void Validate()
    {
        if (string.IsNullOrEmpty(Name) || Name.AsSpan().IndexOfAny(". *>\t\r\n/\\") >= 0)
        {
            throw new SinkConfigurationException("JetStream:Name", $"'{Name}' must be non-empty without '.', '*', '>', '/', '\\' or whitespace");
        }

        if (Subjects.Count == 0 || Subjects.Any(s => string.IsNullOrWhiteSpace(s) || s.AsSpan().IndexOfAny(" \t\r\n") >= 0))
        {
            throw new SinkConfigurationException("JetStream:Subjects", "at least one subject, without whitespace, is required");
        }

        if (Replicas is { } replicas)
        {
            NatsOptions.Range("JetStream:Replicas", replicas, 1, 5);
        }

        if (DuplicateWindow is { } window)
        {
            NatsOptions.Range("JetStream:DuplicateWindow", window, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(7));
        }

        if (MaxAge is { } maxAge)
        {
            NatsOptions.Range("JetStream:MaxAge", maxAge, TimeSpan.Zero, TimeSpan.FromDays(36500));
        }

        if (MaxBytes is { } maxBytes)
        {
            NatsOptions.Range("JetStream:MaxBytes", maxBytes, -1, long.MaxValue);
        }

        if (MaxMessages is { } maxMessages)
        {
            NatsOptions.Range("JetStream:MaxMessages", maxMessages, -1, long.MaxValue);
        }

        if (MaxMessageSize is { } maxMessageSize)
        {
            NatsOptions.Range("JetStream:MaxMessageSize", maxMessageSize, -1, int.MaxValue);
        }

        if (MaxAge > TimeSpan.Zero && DuplicateWindow > MaxAge)
        {
            throw new SinkConfigurationException("JetStream:DuplicateWindow", $"{DuplicateWindow} must not exceed MaxAge {MaxAge}");
        }
    }

    /// <summary>The configuration of a new stream, as NATS.Net sends it: what is not set gets the server's default.</summary>
    public StreamConfig ToConfig() => ApplyTo(new StreamConfig(Name, Subjects.ToList())
    {
        NumReplicas = 1,
        DuplicateWindow = TimeSpan.FromMinutes(2),
        MaxAge = TimeSpan.Zero,
        MaxBytes = -1,
        MaxMsgs = -1,
        MaxMsgSize = -1,
        Discard = StreamConfigDiscard.Old,
    });

    /// <summary>
    /// An existing stream's configuration with what Cdc owns put in: every other field (what is left null here, and
    /// everything Cdc has no setting for, such as a description, compression or placement) stays as the stream has it.
    /// </summary>
    public StreamConfig ApplyTo(StreamConfig existing) => existing with
    {
        Name = Name,
        Subjects = Subjects.ToList(),
        Retention = Retention switch
        {
            StreamRetention.Interest => StreamConfigRetention.Interest,
            StreamRetention.WorkQueue => StreamConfigRetention.Workqueue,
            _ => StreamConfigRetention.Limits,
        },
        Storage = Storage == StreamStorage.Memory ? StreamConfigStorage.Memory : StreamConfigStorage.File,
        NumReplicas = Replicas ?? existing.NumReplicas,
        DuplicateWindow = DuplicateWindow ?? existing.DuplicateWindow,
        MaxAge = MaxAge ?? existing.MaxAge,
        MaxBytes = MaxBytes ?? existing.MaxBytes,
        MaxMsgs = MaxMessages ?? existing.MaxMsgs,
        MaxMsgSize = MaxMessageSize ?? existing.MaxMsgSize,
        Discard = Discard switch
        {
            StreamDiscard.New => StreamConfigDiscard.New,
            StreamDiscard.Old => StreamConfigDiscard.Old,
            _ => existing.Discard,
        },
    };
}
