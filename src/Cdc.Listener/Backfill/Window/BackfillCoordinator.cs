using Cdc.Decoding;
using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Backfill.Window;

/// <summary>
/// Where the backfill runner and the replication pipeline meet (the watermark algorithm of Netflix's DBLog and
/// Debezium's incremental snapshots). The runner announces a chunk (<see cref="Expect"/>), emits its low watermark,
/// reads the chunk, hands it over (<see cref="Provide"/>) and emits its high watermark. The pipeline, in stream order,
/// opens the window at the low watermark, records the key of every change to the table inside it, and at the high
/// watermark takes the chunk without the rows whose key changed (<see cref="TakeReady"/>): a streamed change is newer
/// than what the chunk read, so a consumer never sees an older version after a newer one. A window not seen whole in
/// one replication session (reconnect between the watermarks) sends the chunk back to be read again.
/// </summary>
/// <remarks>
/// <see cref="Expect"/> and <see cref="Provide"/> run on the runner's task; everything else on the pipeline's, which
/// alone touches the window state.
/// </remarks>
internal sealed class BackfillCoordinator(string slot, ILogger logger)
{
    private readonly object _lock = new();
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    private readonly List<(BackfillSignal Signal, Lsn Lsn)> _signals = [];

    // Guarded by _lock: what the runner announced.
    private Watermark? _expected;
    private string? _expectedSchema;
    private string? _expectedTable;
    private IReadOnlyList<string>? _expectedKey;
    private BackfillChunk? _provided;

    // Pipeline-owned: the open window.
    private volatile bool _windowOpen;
    private Watermark _window;
    private string? _windowSchema;
    private string? _windowTable;
    private IReadOnlyList<string>? _windowKey;
    private bool _truncated;
    private RelationInfo? _positionsFor;
    private int[]? _positions;
    private BackfillChunk? _ready;

    public string Slot => slot;

    /// <summary>Called with each backfill request committed in the stream, before its transaction is acknowledged.</summary>
    public Func<BackfillSignal, Lsn, CancellationToken, Task>? OnSignal { get; set; }

    /// <summary>The runner's next chunk: its low watermark, its table and key columns (null: read by ctid).</summary>
    public void Expect(Watermark low, string schema, string table, IReadOnlyList<string>? keyColumns)
    {
        lock (_lock)
        {
            _provided?.SetRetry();
            _expected = low;
            _expectedSchema = schema;
            _expectedTable = table;
            _expectedKey = keyColumns;
            _provided = null;
        }
    }

    /// <summary>The chunk's rows, read after its low watermark was emitted and before its high one is.</summary>
    public void Provide(BackfillChunk chunk)
    {
        lock (_lock)
        {
            _provided = chunk;
        }
    }

    /// <summary>A new replication session: a window opened in an earlier one is incomplete.</summary>
    public void OnSessionStart()
    {
        _windowOpen = false;
        _changed.Clear();
        _signals.Clear();
        _ready = null;
        lock (_lock)
        {
            _provided?.SetRetry();
            _provided = null;
        }
    }

    /// <summary>
    /// A logical decoding message in the stream. Returns true for a watermark (consumed, not published); a backfill
    /// request is remembered for <see cref="AcceptSignalsAsync"/> and published like any message.
    /// </summary>
    public bool OnMessage(ChangeItem change)
    {
        var message = change.Message!;
        if (message.Prefix == BackfillSignal.Prefix)
        {
            if (BackfillSignal.TryParse(message.Content.Span, out var error) is { } signal)
            {
                _signals.Add((signal, change.EndLsn));
            }
            else
            {
                BackfillLog.SignalIgnored(logger, change.EndLsn.ToString(), error!);
            }

            return false;
        }

        if (!Watermark.IsWatermark(message))
        {
            return false;
        }

        if (Watermark.TryParse(message.Content.Span, out var mark) && mark.Slot == slot)
        {
            if (mark.IsHigh)
            {
                OnHigh(mark);
            }
            else
            {
                OnLow(mark);
            }
        }

        return true;
    }

    private void OnLow(Watermark mark)
    {
        lock (_lock)
        {
            if (_expected is not { } expected || !expected.SameChunk(mark))
            {
                return;
            }

            _window = mark;
            _windowSchema = _expectedSchema;
            _windowTable = _expectedTable;
            _windowKey = _expectedKey;
        }

        _changed.Clear();
        _truncated = false;
        _positionsFor = null;
        _windowOpen = true;
    }

    private void OnHigh(Watermark mark)
    {
        BackfillChunk? chunk;
        lock (_lock)
        {
            chunk = _provided;
            if (chunk is null || !chunk.Low.SameChunk(mark))
            {
                return;
            }

            _provided = null;
        }

        if (!_windowOpen || !_window.SameChunk(mark))
        {
            chunk.SetRetry();
            return;
        }

        _windowOpen = false;
        _ready = chunk;
    }

    /// <summary>A change in the stream: inside a window, the key of a change to the backfilled table is recorded.</summary>
    public void Observe(ChangeItem change)
    {
        if (!_windowOpen)
        {
            return;
        }

        var relation = change.Relation!;
        if (relation.Name != _windowTable || relation.Namespace != _windowSchema)
        {
            return;
        }

        if (change.Kind == ChangeKind.Truncate)
        {
            _truncated = true;
            return;
        }

        if (_windowKey is null)
        {
            return; // read by ctid: no key to compare (see docs/backfill.md)
        }

        if (!ReferenceEquals(relation, _positionsFor))
        {
            _positionsFor = relation;
            _positions = WindowKey.Positions(relation, _windowKey);
        }

        if (_positions is null)
        {
            _truncated = true; // the key columns are gone from the streamed shape: keep nothing of this chunk
            return;
        }

        if (change.NewRow is { } row && WindowKey.Of(row, _positions) is { } newKey)
        {
            _changed.Add(newKey);
        }

        if (change.OldRow is { } old && WindowKey.Of(old, _positions) is { } oldKey)
        {
            _changed.Add(oldKey);
        }
    }

    /// <summary>Whether a chunk row is superseded by a change streamed inside its window.</summary>
    public bool IsSuperseded(string? key) => _truncated || (key is not null && _changed.Contains(key));

    /// <summary>The chunk whose high watermark the transaction just decoded holds, once; null otherwise.</summary>
    public BackfillChunk? TakeReady()
    {
        var chunk = _ready;
        _ready = null;
        return chunk;
    }

    /// <summary>Hands over the requests of the transaction just decoded (persisted before the transaction is acknowledged).</summary>
    public async Task AcceptSignalsAsync(CancellationToken cancellationToken)
    {
        if (_signals.Count == 0)
        {
            return;
        }

        foreach (var (signal, lsn) in _signals)
        {
            if (OnSignal is { } handler)
            {
                await handler(signal, lsn, cancellationToken).ConfigureAwait(false);
            }
        }

        _signals.Clear();
    }
}
