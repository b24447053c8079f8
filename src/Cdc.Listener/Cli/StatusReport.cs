using System.Text.Json.Serialization;
using Cdc.Listener.Http;
using Cdc.Listener.Source;

namespace Cdc.Listener.Cli;

/// <summary>What <c>cdc status</c> found: the sidecar's own report and PostgreSQL's view of the slot and publication.</summary>
public sealed record StatusReport
{
    /// <summary>healthy, lagging or down.</summary>
    public required string Verdict { get; init; }

    /// <summary>The process exit code the verdict maps to (0, 3, 4).</summary>
    public required int ExitCode { get; init; }

    /// <summary>Why the verdict is not healthy (empty when healthy).</summary>
    public required IReadOnlyList<string> Reasons { get; init; }

    public required DateTimeOffset CheckedAt { get; init; }

    public required SidecarReport Sidecar { get; init; }

    /// <summary>The slot read from PostgreSQL by this command (with --connection), else as last reported by the sidecar.</summary>
    public SlotState? Slot { get; init; }

    public PublicationState? Publication { get; init; }

    /// <summary>
    /// The publication of the tables without a key (<c>&lt;publication&gt;_inserts</c>: inserts and truncates), when
    /// Cdc created one.
    /// </summary>
    public PublicationState? InsertsPublication { get; init; }

    /// <summary>Why PostgreSQL could not be read (null when it was, or when no connection was given).</summary>
    public string? PostgresError { get; init; }
}

/// <summary>The sidecar as seen through its HTTP endpoint.</summary>
public sealed record SidecarReport
{
    public required string Url { get; init; }

    public required bool Running { get; init; }

    public string? Error { get; init; }

    public StatusDocument? Status { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true)]
[JsonSerializable(typeof(StatusReport))]
internal sealed partial class StatusReportJsonContext : JsonSerializerContext;
