using System.Globalization;
using Cdc.Listener.Source;
using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Hosting;

/// <summary>
/// Writes a heartbeat into the WAL every interval: a non-transactional logical message (PostgreSQL 14+ decodes it for
/// pgoutput with <c>messages</c> on) carrying the slot and the send time. Every slot of the database sees it; Cdc
/// recognises its own by the slot in the content. A failed write is counted and retried at the next tick: the
/// heartbeat's absence is what turns readiness red.
/// </summary>
internal static class HeartbeatWriter
{
    public static async Task RunAsync(SourceConnectionStrings connections, string slot, TimeSpan interval, HeartbeatMonitor monitor, SessionStatus session, ILogger logger, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                var sent = monitor.NowMicros();
                await using var conn = await SourceSetup.OpenAsync(connections, cancellationToken).ConfigureAwait(false);
                await using var cmd = new NpgsqlCommand("SELECT pg_logical_emit_message(false, $1, $2)", conn);
                cmd.Parameters.AddWithValue(HeartbeatMonitor.Prefix);
                cmd.Parameters.AddWithValue(slot + " " + sent.ToString(CultureInfo.InvariantCulture));
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                monitor.Sent(sent);
            }
            catch (Exception e) when (e is CdcException or NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                session.CountError("heartbeat: " + e.Message);
                ListenerLog.HeartbeatFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }
}
