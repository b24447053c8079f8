namespace Cdc.Decoding;

/// <summary>How the pgoutput stream was requested, and the caps that protect the decoder from hostile input.</summary>
public sealed record PgOutputOptions
{
    /// <summary>pgoutput <c>proto_version</c>: 1 (PG10+), 2 (PG14+, streaming), 3 (PG15+, two-phase), 4 (PG16+, parallel streaming).</summary>
    public int ProtocolVersion { get; init; } = 1;

    /// <summary>Values in binary send format (PostgreSQL 14+); columns of types without a send function still come as text.</summary>
    public bool Binary { get; init; }

    /// <summary>Logical decoding messages (<c>pg_logical_emit_message</c>) are sent (PostgreSQL 14+).</summary>
    public bool Messages { get; init; }

    /// <summary>In-progress transactions are streamed (protocol 2+).</summary>
    public bool Streaming { get; init; }

    /// <summary>Prepared transactions are decoded at PREPARE (protocol 3+, slot created with two_phase).</summary>
    public bool TwoPhase { get; init; }

    /// <summary>pgoutput <c>publication_names</c>: the publications whose changes the stream carries.</summary>
    public IReadOnlyList<string> PublicationNames { get; init; } = [];

    /// <summary>Largest single pgoutput message accepted (bytes).</summary>
    public int MaxMessageBytes { get; init; } = 1 << 30;

    /// <summary>Most columns accepted in a relation or tuple (PostgreSQL allows 1600).</summary>
    public int MaxColumns { get; init; } = 1664;

    /// <summary>A transaction buffered past this many bytes goes to a temporary file until its commit.</summary>
    public long SpillThresholdBytes { get; init; } = 16L << 20;

    /// <summary>
    /// Where spill files go (default: <c>cdc-spill</c> in the system temp directory): in a folder per process (0700),
    /// files 0600; folders of processes that are gone are removed at start.
    /// </summary>
    public string? SpillDirectory { get; init; }

    /// <summary>
    /// The newest pgoutput protocol a server speaks, from its <c>server_version_num</c>: 1 (PostgreSQL 10+),
    /// 2 (14+), 3 (15+), 4 (16+).
    /// </summary>
    public static int ProtocolVersionForServer(int serverVersionNum) => serverVersionNum switch
    {
        >= 160000 => 4,
        >= 150000 => 3,
        >= 140000 => 2,
        _ => 1,
    };

    /// <summary>Fails fast with the name of the option and the accepted range.</summary>
    public void Validate()
    {
        Check(ProtocolVersion is >= 1 and <= 4, nameof(ProtocolVersion), $"{ProtocolVersion}: accepted 1 to 4");
        Check(!Streaming || ProtocolVersion >= 2, nameof(Streaming), "needs ProtocolVersion 2 or more (PostgreSQL 14+)");
        Check(!TwoPhase || ProtocolVersion >= 3, nameof(TwoPhase), "needs ProtocolVersion 3 or more (PostgreSQL 15+)");
        Check(MaxMessageBytes > 0, nameof(MaxMessageBytes), $"{MaxMessageBytes}: must be positive");
        Check(MaxColumns is >= 1 and <= short.MaxValue, nameof(MaxColumns), $"{MaxColumns}: accepted 1 to {short.MaxValue}");
        Check(SpillThresholdBytes >= 0, nameof(SpillThresholdBytes), $"{SpillThresholdBytes}: must not be negative");
    }

    private static void Check(bool valid, string name, string problem)
    {
        if (!valid)
        {
            throw new ArgumentException($"PgOutput:{name} {problem}", name);
        }
    }
}
