using Cdc.Listener.Delivery;

namespace Cdc.Listener.Hosting;

/// <summary>
/// On an idle database, confirms the server's WAL position so WAL does not pile up behind the slot; also ends the
/// session when the sink failed for good (seen here even when no new change would push and meet the failure).
/// </summary>
/// <remarks>
/// Polled, once a second on the <see cref="TimeProvider"/>: the server's position arrives in keepalives, which Npgsql
/// answers itself and reflects only in <c>LastReceivedLsn</c>; it offers no event for them (docs/design.md, "Idle
/// confirmation polls").
/// </remarks>
internal static class IdleConfirmation
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The connection raises <c>LastReceivedLsn</c> just before the message reaches the pipe: the position is confirmed
    /// only when it is the same this much later, so a message in that window is seen as not idle.
    /// </summary>
    public static readonly TimeSpan SecondLook = TimeSpan.FromMilliseconds(50);

    public static async Task RunAsync(IIdleUpstream upstream, LsnTracker tracker, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            upstream.ThrowIfFailed();
            if (!upstream.IsIdle)
            {
                continue;
            }

            var candidate = upstream.LastReceivedLsn;
            await Task.Delay(SecondLook, time, cancellationToken).ConfigureAwait(false);
            if (upstream.IsIdle && upstream.LastReceivedLsn == candidate)
            {
                tracker.ObserveKeepalive(candidate, upstreamIdle: true);
            }
        }
    }
}

/// <summary>What <see cref="IdleConfirmation"/> reads of a replication session.</summary>
internal interface IIdleUpstream
{
    /// <summary>The connection waits for the server and nothing it received is still on its way to the ledger.</summary>
    bool IsIdle { get; }

    /// <summary>The newest WAL position the server reported (XLogData or keepalive).</summary>
    ulong LastReceivedLsn { get; }

    /// <summary>Throws the reason to stop when the sink failed for good.</summary>
    void ThrowIfFailed();
}
