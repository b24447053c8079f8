namespace Cdc.Sink;

/// <summary>Acknowledges every message at once with increasing sequences (benchmarks of the stages before the sink).</summary>
public sealed class NullSink : IMessageSink, ISinkHealth, IStreamHistory
{
    private readonly IAckHandler _ackHandler;
    private ulong _sequence;

    public NullSink(IAckHandler ackHandler)
    {
        _ackHandler = ackHandler;
    }

    /// <summary>Messages acknowledged so far.</summary>
    public ulong Count => Interlocked.Read(ref _sequence);

    public bool IsConnected => true;

    public DateTimeOffset? DisconnectedSince => null;

    public string? LastConnectionError => null;

    public string? PublishRefusal => null;

    public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public ValueTask WriteAsync(OutboundMessage message, CancellationToken cancellationToken = default)
    {
        _ackHandler.OnAcked(message, Interlocked.Increment(ref _sequence));
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>Stores nothing, so holds nothing.</summary>
    public Task<StoredMessage?> FindNewestAsync(Func<string, bool> idMatches, int maxScan, CancellationToken cancellationToken = default)
        => Task.FromResult<StoredMessage?>(null);

    public Task<IReadOnlyList<StoredMessage>> LastPerSubjectAsync(string subjectFilter, CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<StoredMessage>>([]);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
