using Cdc.Listener.Source;
using Cdc.Listener.Telemetry;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Http;

/// <summary>
/// Samples the change counter once a second (for changes/s) and reads the slot from PostgreSQL every
/// few seconds (for the slot lag), so a scrape of /status or /metrics never waits on the database.
/// </summary>
/// <param name="passwordFile">Cdc:PasswordFile: read again for every new physical connection.</param>
internal sealed class StatusSampler(ChangeCounters changes, SourceProgress source, TimeProvider time, string connectionString, string? passwordFile, string slot, ILogger logger)
{
    private static readonly TimeSpan SlotInterval = TimeSpan.FromSeconds(2);

    public ChangeRate Rate { get; } = new();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        NpgsqlDataSource? dataSource = null;
        try
        {
            dataSource = CreateDataSource();
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
            var nextSlotRead = time.GetUtcNow();
            do
            {
                Rate.Sample(changes.Changes, time.GetUtcNow().UtcTicks);
                if (dataSource is not null && time.GetUtcNow() >= nextSlotRead)
                {
                    nextSlotRead = time.GetUtcNow() + SlotInterval;
                    await ReadSlotAsync(dataSource, cancellationToken).ConfigureAwait(false);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (dataSource is not null)
            {
                await dataSource.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private NpgsqlDataSource? CreateDataSource()
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString)
            {
                ApplicationName = "cdc status",
                Timeout = 5,
                CommandTimeout = 5,
                MaxPoolSize = 1,
            };
            SourceConnectionStrings.PreferPrimary(builder);
            var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString);
            if (!string.IsNullOrEmpty(passwordFile))
            {
                dataSource.UsePasswordProvider(_ => PasswordFile.Read(passwordFile), (_, _) => ValueTask.FromResult(PasswordFile.Read(passwordFile)));
            }

            return dataSource.Build();
        }
        catch (ArgumentException)
        {
            // The options validator reports a bad connection string; the endpoint simply has no slot numbers.
            return null;
        }
    }

    private async Task ReadSlotAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            source.SlotState = await PostgresProbe.ReadSlotAsync(connection, slot, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException or CdcException)
        {
            HttpLog.SlotReadFailed(logger, slot, e.Message);
        }
    }
}
