using Cdc.Listener.Delivery;
using Microsoft.Extensions.Logging;

namespace Cdc.Listener.Hosting;

/// <summary>
/// Waits, at the end of a session, for the acks of what was pushed: driven by the ledger's "all acknowledged" event,
/// with a line every <see cref="ReportInterval"/> saying what the wait is for.
/// </summary>
internal static class LedgerDrain
{
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A graceful stop waits (at most <paramref name="timeout"/>) for the chunks already pushed; a reconnect waits for whole
    /// transactions, because the new session resumes after the last one acknowledged, for as long as it takes unless the
    /// host stops. Returns whether everything in <paramref name="scope"/> was acknowledged.
    /// </summary>
    public static async Task<bool> DrainAsync(
        LsnTracker tracker,
        AcknowledgedScope scope,
        TimeSpan timeout,
        TimeProvider time,
        ILogger logger,
        CancellationToken stoppingToken)
    {
        // A graceful stop is already a cancelled stoppingToken: its bound is the timeout alone.
        using var cts = scope == AcknowledgedScope.Chunks
            ? new CancellationTokenSource(timeout, time)
            : CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        try
        {
            var acknowledged = tracker.WaitForAcknowledgedAsync(scope, cts.Token);
            while (true)
            {
                try
                {
                    await acknowledged.WaitAsync(ReportInterval, time, cts.Token).ConfigureAwait(false);
                    return true;
                }
                catch (TimeoutException)
                {
                    ListenerLog.Draining(logger, tracker.PendingTransactions, tracker.PendingChunks, tracker.InFlightBytes);
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            ListenerLog.ShutdownAcksTimedOut(logger, tracker.PendingChunks, timeout);
            return false;
        }
    }
}
