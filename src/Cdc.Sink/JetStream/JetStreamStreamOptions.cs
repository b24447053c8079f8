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

/// <summary>The destination stream (section <c>JetStream</c>). Immutable; <see cref="Validate"/> names the bad key.</summary>
public sealed record JetStreamStreamOptions
{
    public string Name { get; init; } = "CDC";

    public IReadOnlyList<string> Subjects { get; init; } = ["cdc.>"];

    public StreamRetention Retention { get; init; } = StreamRetention.Limits;

    public StreamStorage Storage { get; init; } = StreamStorage.File;

    public int Replicas { get; init; } = 1;

    /// <summary>How long JetStream remembers a Nats-Msg-Id (replays inside it are dropped).</summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Zero: keep forever.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.Zero;

    /// <summary>-1: unlimited.</summary>
    public long MaxBytes { get; init; } = -1;

    /// <summary>-1: unlimited.</summary>
    public long MaxMessages { get; init; } = -1;

    /// <summary>-1: the server's max_payload.</summary>
    public int MaxMessageSize { get; init; } = -1;

    public StreamDiscard Discard { get; init; } = StreamDiscard.Old;

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

        NatsOptions.Range("JetStream:Replicas", Replicas, 1, 5);
        NatsOptions.Range("JetStream:DuplicateWindow", DuplicateWindow, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(7));
        NatsOptions.Range("JetStream:MaxAge", MaxAge, TimeSpan.Zero, TimeSpan.FromDays(36500));
        NatsOptions.Range("JetStream:MaxBytes", MaxBytes, -1, long.MaxValue);
        NatsOptions.Range("JetStream:MaxMessages", MaxMessages, -1, long.MaxValue);
        NatsOptions.Range("JetStream:MaxMessageSize", MaxMessageSize, -1, int.MaxValue);
        if (MaxAge > TimeSpan.Zero && DuplicateWindow > MaxAge)
        {
            throw new SinkConfigurationException("JetStream:DuplicateWindow", $"{DuplicateWindow} must not exceed MaxAge {MaxAge}");
        }
    }

    /// <summary>The stream configuration as NATS.Net sends it.</summary>
    public StreamConfig ToConfig() => new(Name, Subjects.ToList())
    {
        Retention = Retention switch
        {
            StreamRetention.Interest => StreamConfigRetention.Interest,
            StreamRetention.WorkQueue => StreamConfigRetention.Workqueue,
            _ => StreamConfigRetention.Limits,
        },
        Storage = Storage == StreamStorage.Memory ? StreamConfigStorage.Memory : StreamConfigStorage.File,
        NumReplicas = Replicas,
        DuplicateWindow = DuplicateWindow,
        MaxAge = MaxAge,
        MaxBytes = MaxBytes,
        MaxMsgs = MaxMessages,
        MaxMsgSize = MaxMessageSize,
        Discard = Discard == StreamDiscard.New ? StreamConfigDiscard.New : StreamConfigDiscard.Old,
    };
}
