namespace Cdc.Listener.Configuration;

/// <summary>Settings of <c>cdc run</c>: section <c>Cdc</c> of appsettings.json, <c>CDC__*</c> variables, command line.</summary>
public sealed class CdcOptions
{
    public const string SectionName = "Cdc";

    /// <summary>Npgsql connection string of the source database (the role needs REPLICATION).</summary>
    public string Connection { get; set; } = string.Empty;

    /// <summary>
    /// A file holding the password (only), read again at every connect of the replication and the setup connections:
    /// for passwords that rotate (cloud IAM tokens). While it is set, a refused login is retried with backoff.
    /// </summary>
    public string? PasswordFile { get; set; }

    /// <summary>Replication slot name.</summary>
    public string Slot { get; set; } = "cdc";

    /// <summary>Publication name.</summary>
    public string Publication { get; set; } = "cdc";

    /// <summary>Tables the publication is created for (schema.table); empty means FOR ALL TABLES.</summary>
    public List<string> Tables { get; set; } = [];

    /// <summary>
    /// Columns left out of the stream, by table (<c>"public.customers": ["email", "phone"]</c>): the column list of the
    /// publication Cdc creates (PostgreSQL 15+), so the values never leave the server.
    /// </summary>
    public Dictionary<string, List<string>> ExcludeColumns { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Rows published, by table: an SQL condition on the table's columns (<c>"public.orders": "region = 'eu'"</c>), the
    /// row filter of the publication Cdc creates (PostgreSQL 15+).
    /// </summary>
    public Dictionary<string, string> RowFilters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Create the slot when it does not exist.</summary>
    public bool CreateSlot { get; set; } = true;

    /// <summary>
    /// Create the slot although the stream shows Cdc already delivered from a slot of this name (it was dropped,
    /// invalidated, or is missing after a failover): the changes in between are lost, and a gap event says which.
    /// Off, such a start is refused.
    /// </summary>
    public bool AllowSlotGap { get; set; }

    /// <summary>
    /// Stream from a server whose PostgreSQL system identifier differs from the one the stream's newest message for the
    /// slot came from (header <c>Cdc-System-Id</c>): another cluster. Off: the start is refused with one line.
    /// </summary>
    public bool AllowSystemChange { get; set; }

    /// <summary>Create the publication when it does not exist.</summary>
    public bool CreatePublication { get; set; } = true;

    /// <summary>pgoutput protocol version; 0 picks the newest the server supports (PG14: 2, PG15: 3, PG16+: 4).</summary>
    public int ProtocolVersion { get; set; }

    /// <summary>Ask for values in binary send format (PostgreSQL 14+).</summary>
    public bool Binary { get; set; }

    /// <summary>Stream in-progress transactions (PostgreSQL 14+), so huge transactions do not wait in the server.</summary>
    public bool Streaming { get; set; } = true;

    /// <summary>Deliver logical decoding messages (pg_logical_emit_message, PostgreSQL 14+): the outbox path.</summary>
    public bool Messages { get; set; } = true;

    /// <summary>Where the change events go: <c>nats</c> or <c>null</c> (acknowledge at once; for benchmarks).</summary>
    public string Sink { get; set; } = "nats";

    /// <summary>
    /// How each event is written: <c>protobuf</c> (<c>cdc.v1</c> messages), <c>json</c> (their proto3 JSON mapping) or
    /// <c>cloudevents</c> (CloudEvents 1.0, see <see cref="CloudEvents"/>).
    /// </summary>
    public string Format { get; set; } = "protobuf";

    public CloudEventsSection CloudEvents { get; set; } = new();

    /// <summary>
    /// initial: when Cdc creates its slot, publish the rows already in the published tables first; never: stream
    /// only what commits after the slot exists; initial_only: snapshot, then stop without keeping a slot.
    /// </summary>
    public string Snapshot { get; set; } = "initial";

    public NatsSection Nats { get; set; } = new();

    public OutboxSection Outbox { get; set; } = new();

    public PusherSection Pusher { get; set; } = new();

    public HeartbeatSection Heartbeat { get; set; } = new();

    /// <summary>Online backfills (<c>cdc backfill</c>).</summary>
    public BackfillSection Backfill { get; set; } = new();

    /// <summary>How long a graceful stop waits for in-flight acks.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Directory for transactions spilled to disk (default: system temp).</summary>
    public string? SpillDirectory { get; set; }

    /// <summary>
    /// A standby status update goes to the server at least this often, even when nothing new was acknowledged: keep it
    /// well under the server's <c>wal_sender_timeout</c> (60 s by default).
    /// </summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The session is dropped and reopened when the server sends nothing, not even a keepalive, for this long; the
    /// server is asked for a reply after half of it, so an idle but healthy server always answers in time. 0 turns
    /// the check off.
    /// </summary>
    public TimeSpan ReceiverTimeout { get; set; } = TimeSpan.FromSeconds(90);
}

public sealed class CloudEventsSection
{
    /// <summary><c>structured</c> (one <c>application/cloudevents+json</c> document) or <c>binary</c> (<c>ce-*</c> headers).</summary>
    public string Mode { get; set; } = "structured";

    /// <summary>Binary mode only: the payload as <c>json</c> (proto3 JSON mapping) or <c>protobuf</c>.</summary>
    public string DataFormat { get; set; } = "json";
}

public sealed class NatsSection
{
    /// <summary>Server URLs, comma separated (nats://, tls://, ws:// or wss://).</summary>
    public string Url { get; set; } = "nats://127.0.0.1:4222";

    public string? User { get; set; }

    public string? Password { get; set; }

    public string? Token { get; set; }

    /// <summary>File holding an NKey seed (<c>SU...</c>).</summary>
    public string? NKeySeedFile { get; set; }

    /// <summary>A <c>.creds</c> file (user JWT and seed) for servers in operator mode.</summary>
    public string? CredsFile { get; set; }

    /// <summary>auto (TLS for tls:// and wss:// URLs, TLS files, or a server that requires it), require, or first (TLS handshake before INFO).</summary>
    public string TlsMode { get; set; } = "auto";

    /// <summary>CA file to verify the server's TLS certificate: only this CA is trusted, not the system store.</summary>
    public string? TlsCaFile { get; set; }

    public string? TlsCertFile { get; set; }

    public string? TlsKeyFile { get; set; }

    /// <summary>Also connect to the cluster members a server announces; false: only the URLs given.</summary>
    public bool DiscoverServers { get; set; } = true;

    /// <summary>Try the URLs in the order given instead of shuffled.</summary>
    public bool NoRandomize { get; set; }

    /// <summary>JetStream stream name.</summary>
    public string Stream { get; set; } = "CDC";

    /// <summary>First subject token: subjects are <c>&lt;prefix&gt;.&lt;database&gt;.&lt;schema&gt;.&lt;table&gt;</c>.</summary>
    public string SubjectPrefix { get; set; } = "cdc";

    /// <summary>Append the operation (insert, update, delete, truncate) as a last subject token.</summary>
    public bool SubjectIncludesOperation { get; set; }

    /// <summary>
    /// Where row changes go after <c>&lt;prefix&gt;.</c>: tokens with {database}, {schema}, {table}, {operation}, e.g.
    /// <c>{schema}.{table}.{operation}</c>; empty: <c>{database}.{schema}.{table}</c> (see <see cref="SubjectTemplate"/>).
    /// </summary>
    public string SubjectTemplate { get; set; } = string.Empty;

    /// <summary>JetStream storage: file or memory.</summary>
    public string Storage { get; set; } = "file";

    /// <summary>Stream replicas; unset: 1 for a stream Cdc creates, an existing stream's left as its operator set it.</summary>
    public int? Replicas { get; set; }

    /// <summary>The stream's duplicate window; unset: 2 minutes for a stream Cdc creates, an existing stream's left as it is.</summary>
    public TimeSpan? DuplicateWindow { get; set; }

    /// <summary>
    /// How long a publish refused for a reason an operator can fix (no stream takes the subject, a permissions violation)
    /// is retried in order, holding the messages behind it, before it is given up: fatal for a row change, recorded and
    /// skipped for an outbox message (docs/outbox.md).
    /// </summary>
    public TimeSpan RefusalRetryTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the client PINGs NATS; two unanswered PINGs make the connection stale and NATS.Net reconnects. This is
    /// what notices a half-open connection (a server or path gone silent without closing the socket).
    /// </summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>What to do with a change larger than the server's max_payload: fail or reference.</summary>
    public string OversizePolicy { get; set; } = "fail";

    /// <summary>Most PubAcks awaited at once.</summary>
    public int MaxPendingAcks { get; set; } = 4096;

    public int BatchMaxRows { get; set; } = 1000;

    public int BatchMaxBytes { get; set; } = 1 << 20;

    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromMilliseconds(5);
}

public sealed class PusherSection
{
    /// <summary>Bytes pushed to the sink and not yet acknowledged before reading from Postgres pauses.</summary>
    public long MaxInFlightBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Overload mode: while the sink lags, keep only the newest pending change per row key (consumers
    /// skip intermediate versions of a row, never its latest state; memory is bounded by the keys).
    /// </summary>
    public bool Dedupe { get; set; }

    /// <summary>Largest chunk of one transaction's changes handed to the sink at once.</summary>
    public int ChunkMaxBytes { get; set; } = 1 << 20;
}

/// <summary>
/// Heartbeats through the slot (PostgreSQL 14+, with Cdc:Messages): a non-transactional logical message every
/// <see cref="Interval"/>, seen as arrived once JetStream acknowledged everything before it.
/// </summary>
public sealed class HeartbeatSection
{
    /// <summary>How often a heartbeat is written (default 10 s); 00:00:00 leaves heartbeats off.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>No heartbeat arriving for this long turns /readyz and <c>cdc status</c> red.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Publish heartbeats as logical messages (<c>&lt;prefix&gt;.&lt;database&gt;._message.cdc_heartbeat</c>) too.</summary>
    public bool Publish { get; set; }
}

/// <summary>
/// How a backfill shares the pipeline with streaming: its chunks' rows are published in the stream's order, so a
/// transaction committed while a chunk is published waits for it. Small chunks, a rate cap and yielding to a streaming
/// backlog keep that wait short (docs/backfill.md, Pacing).
/// </summary>
public sealed class BackfillSection
{
    /// <summary>
    /// Rows read per backfill chunk, between one low and high watermark (held in memory until published). A streamed
    /// transaction committed meanwhile waits at most about one chunk's publishing (1,024 rows: Debezium's default).
    /// </summary>
    public int ChunkRows { get; set; } = 1024;

    /// <summary>Rows per second a backfill reads at most (averaged over a chunk); 0: as fast as it can.</summary>
    public int MaxRowsPerSecond { get; set; } = 10_000;

    /// <summary>
    /// The next chunk is read only once at most this many bytes handed to the sink wait for acknowledgement: a streaming
    /// backlog is published first. 0: never wait.
    /// </summary>
    public long PauseAboveInFlightBytes { get; set; } = 1 << 20;
}
