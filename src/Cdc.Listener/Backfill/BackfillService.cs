using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;
using Cdc.Listener.Pipeline;
using Cdc.Listener.Delivery;
using Cdc.Listener.Source;
using Microsoft.Extensions.Logging;
using Cdc.Listener.Backfill.Window;

namespace Cdc.Listener.Backfill;

/// <summary>
/// The backfills of one <c>cdc run</c>: the coordinator the replication pipelines share, the runner task, and the
/// progress store (a JetStream key-value bucket with the NATS sink; memory with the null sink). Outlives sessions.
/// </summary>
internal sealed class BackfillService : IAsyncDisposable
{
    private readonly IBackfillStore _store;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private BackfillService(IBackfillStore store, BackfillCoordinator coordinator, Func<CancellationToken, Task> run)
    {
        _store = store;
        Coordinator = coordinator;
        _running = Task.Run(() => run(_stop.Token), CancellationToken.None);
    }

    public BackfillCoordinator Coordinator { get; }

    public static BackfillService Start(CdcOptions options, SessionContext context, SourceConnectionStrings connections, DeliveryLedger ledger,
        BackfillStatus status, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("Cdc.Backfill");
        IBackfillStore store = string.Equals(options.Sink, "null", StringComparison.OrdinalIgnoreCase)
            ? new MemoryBackfillStore()
            : new KeyValueBackfillStore(options, loggerFactory);
        var board = new BackfillProgressBoard(TimeProvider.System);
        status.Attach(board.Snapshot);
        var coordinator = new BackfillCoordinator(options.Slot, logger);
        var runner = new BackfillRunner(context, connections, ledger, coordinator, store, board, logger, TimeProvider.System);
        return new BackfillService(store, coordinator, runner.RunAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _running.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _store.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
