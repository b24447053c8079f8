namespace Cdc.Listener.Configuration;

/// <summary>What <c>Cdc:Snapshot</c> asks for when Cdc creates its slot.</summary>
public enum SnapshotMode
{
    /// <summary>Publish the rows already in the published tables, then stream from the slot's consistent point.</summary>
    Initial,

    /// <summary>Stream only what commits after the slot is created.</summary>
    Never,

    /// <summary>Publish the existing rows, then stop (exit 0) without keeping a slot.</summary>
    InitialOnly,
}

public static class SnapshotModes
{
    /// <summary>The validated setting (initial, never, initial_only; any case).</summary>
    public static SnapshotMode Parse(string value) => value.ToLowerInvariant() switch
    {
        "initial" => SnapshotMode.Initial,
        "never" => SnapshotMode.Never,
        "initial_only" => SnapshotMode.InitialOnly,
        _ => throw new CdcConfigurationException($"Cdc:Snapshot = '{value}' is not accepted: one of initial, never, initial_only"),
    };
}
