using System.Net.Http.Json;
using Cdc.Listener.Configuration;
using Cdc.Listener.Http;
using Cdc.Listener.Source;
using Npgsql;

namespace Cdc.Listener.Cli;

/// <summary>Reads the sidecar's <c>/status</c> and, with a connection string, the slot and publication from PostgreSQL.</summary>
/// <param name="endpoint">The sidecar's status endpoint.</param>
/// <param name="connectionString">The source database, or null to show the slot as the sidecar last read it.</param>
/// <param name="passwordFile"><c>Cdc:PasswordFile</c>: read at each refresh, as the sidecar does at each connect.</param>
/// <param name="slot">The slot to report on.</param>
/// <param name="publication">The publication to report on (and its <c>_inserts</c> twin).</param>
/// <param name="thresholds">What counts as lagging.</param>
internal sealed class StatusCollector(
    Uri endpoint, string? connectionString, string? passwordFile, string slot, string publication, StatusThresholds thresholds) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly HttpClient _http = new() { BaseAddress = endpoint, Timeout = Timeout };

    public async Task<StatusReport> CollectAsync(CancellationToken cancellationToken = default)
    {
        var sidecarTask = ReadSidecarAsync(cancellationToken);
        var postgresTask = ReadPostgresAsync(cancellationToken);
        var sidecar = await sidecarTask.ConfigureAwait(false);
        var (slotState, publicationState, insertsState, postgresError) = await postgresTask.ConfigureAwait(false);

        // Without --connection, the sidecar's own (sampled) view of the slot is the best there is.
        slotState ??= sidecar.Status?.SlotState;
        var (verdict, exitCode, reasons) = StatusVerdict.Decide(sidecar, slotState, thresholds, postgresError);
        return new StatusReport
        {
            Verdict = verdict,
            ExitCode = exitCode,
            Reasons = reasons,
            CheckedAt = DateTimeOffset.UtcNow,
            Sidecar = sidecar,
            Slot = slotState,
            Publication = publicationState,
            InsertsPublication = insertsState,
            PostgresError = postgresError,
        };
    }

    private async Task<SidecarReport> ReadSidecarAsync(CancellationToken cancellationToken)
    {
        var url = UrlRedaction.Redact(new Uri(endpoint, "status").ToString());
        try
        {
            var status = await _http.GetFromJsonAsync(new Uri(endpoint, "status"), StatusJsonContext.Default.StatusDocument, cancellationToken).ConfigureAwait(false);
            return new SidecarReport { Url = url, Running = status is not null, Status = Redacted(status) };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            var reason = e switch
            {
                TaskCanceledException => $"no answer within {Timeout.TotalSeconds:0}s",
                HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "connection refused",
                _ => UrlRedaction.Redact(e.Message),
            };
            return new SidecarReport { Url = url, Running = false, Error = reason };
        }
    }

    private async Task<(SlotState?, PublicationState?, PublicationState?, string?)> ReadPostgresAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return (null, null, null, null);
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "cdc status", Timeout = 5, CommandTimeout = 5, Pooling = false };
            if (!string.IsNullOrEmpty(passwordFile))
            {
                builder.Password = PasswordFile.Read(passwordFile);
            }

            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var slotState = await PostgresProbe.ReadSlotAsync(connection, slot, cancellationToken).ConfigureAwait(false);
            var publicationState = await PostgresProbe.ReadPublicationAsync(connection, publication, cancellationToken).ConfigureAwait(false);
            var insertsState = await PostgresProbe.ReadPublicationAsync(connection, publication + PublicationSetup.InsertsSuffix, cancellationToken).ConfigureAwait(false);
            return (slotState, publicationState, insertsState, null);
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or TimeoutException or ReplicationInterruptedException && !cancellationToken.IsCancellationRequested)
        {
            // Never echo the connection string: it may hold a password.
            return (null, null, null, e.Message);
        }
    }

    /// <summary>The document without URL secrets, whatever the sidecar's version put in it.</summary>
    private static StatusDocument? Redacted(StatusDocument? status)
        => status is null ? null : status with
        {
            Sink = status.Sink with
            {
                Server = UrlRedaction.RedactOrNull(status.Sink.Server),
                LastError = UrlRedaction.RedactOrNull(status.Sink.LastError),
                ConnectionError = UrlRedaction.RedactOrNull(status.Sink.ConnectionError),
            },
        };

    public void Dispose() => _http.Dispose();
}
