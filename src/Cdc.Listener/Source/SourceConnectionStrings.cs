using Cdc.Listener.Configuration;
using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>
/// The Npgsql connection strings Cdc opens the source database with, built from <c>Cdc:Connection</c> at every
/// connect. Npgsql does the connecting, so every key and PG* environment variable means what it means in Npgsql;
/// Cdc only adds what it must:
/// <list type="bullet">
/// <item>the password from <c>Cdc:PasswordFile</c>, read afresh each time;</item>
/// <item><c>Target Session Attributes=primary</c> when several hosts are given and no target is (neither the key nor
/// PGTARGETSESSIONATTRS), so the setup queries and the replication stream reach the same server, the primary;</item>
/// <item>on the replication connection, the session settings pgoutput's text values depend on, after the user's
/// <c>Options</c> (or PGOPTIONS) so that they win.</item>
/// </list>
/// </summary>
public sealed class SourceConnectionStrings(CdcOptions options)
{
    /// <summary>
    /// pgoutput's text values follow the walsender's session settings: pin the output formats the value converter
    /// reads (ISO dates, postgres intervals, shortest exact floats, UTC offsets).
    /// </summary>
    internal const string OutputSettings = "-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=3 -c TimeZone=UTC";

    /// <summary>Npgsql's default read buffer; the replication connection gets a larger one unless another size is given.</summary>
    private const int NpgsqlDefaultReadBufferSize = 8192;

    private const int ReplicationReadBufferSize = 1024 * 1024;

    /// <summary>True when the password comes from <c>Cdc:PasswordFile</c>: a refused login may be an expired one.</summary>
    public bool RotatesPassword => !string.IsNullOrEmpty(options.PasswordFile);

    /// <summary>True when Cdc:Connection (or PGHOST) lists several hosts.</summary>
    public bool HasSeveralHosts => ListsSeveralHosts(new NpgsqlConnectionStringBuilder(options.Connection).Host ?? Environment.GetEnvironmentVariable("PGHOST"));

    /// <summary>Where Cdc connects, for messages (no password).</summary>
    public string Describe()
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Connection);
        var host = builder.Host ?? Environment.GetEnvironmentVariable("PGHOST") ?? "localhost";
        var database = builder.Database ?? Environment.GetEnvironmentVariable("PGDATABASE");
        return $"{host}:{builder.Port}/{database}";
    }

    /// <summary>For the setup checks and the type lookups (regular connections).</summary>
    public string ForQueries() => Build().ConnectionString;

    /// <summary>
    /// For <see cref="Npgsql.Replication.LogicalReplicationConnection"/>, which takes one host only (Npgsql refuses several:
    /// "Replication is not supported with multiple hosts"). With several hosts, a regular connection first finds the one
    /// Target Session Attributes asks for (the primary unless told otherwise), and replication goes to that host.
    /// </summary>
    public async Task<string> ForReplicationAsync(CancellationToken cancellationToken = default)
    {
        var builder = Build();
        if (!HasSeveralHosts)
        {
            return ForReplication(builder);
        }

        var conn = new NpgsqlConnection(builder.ConnectionString);
        await using (conn.ConfigureAwait(false))
        {
            try
            {
                await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                throw SourceSetup.Classify(e, this);
            }

            builder.Host = conn.Host;
            builder.Port = conn.Port;
            builder.TargetSessionAttributes = null;
        }

        return ForReplication(builder);
    }

    /// <summary>For <see cref="Npgsql.Replication.LogicalReplicationConnection"/> when the connection names one host.</summary>
    public string ForReplication() => ForReplication(Build());

    private static string ForReplication(NpgsqlConnectionStringBuilder builder)
    {
        var userOptions = builder.Options ?? Environment.GetEnvironmentVariable("PGOPTIONS");
        builder.Options = string.IsNullOrWhiteSpace(userOptions) ? OutputSettings : userOptions + " " + OutputSettings;

        // A TimeZone startup parameter (the Timezone key or PGTZ) is applied after Options: pin it too.
        builder.Timezone = "UTC";
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "cdc";
        }

        if (builder.ReadBufferSize == NpgsqlDefaultReadBufferSize)
        {
            builder.ReadBufferSize = ReplicationReadBufferSize;
        }

        return builder.ConnectionString;
    }

    private NpgsqlConnectionStringBuilder Build()
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Connection);
        PreferPrimary(builder);
        if (options.PasswordFile is { Length: > 0 } path)
        {
            builder.Password = PasswordFile.Read(path);
        }

        return builder;
    }

    /// <summary>
    /// <c>Target Session Attributes=primary</c> when several hosts are given and no target is (neither the key nor
    /// PGTARGETSESSIONATTRS): the slot, the publication and the stream live on the primary.
    /// </summary>
    public static void PreferPrimary(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(builder.TargetSessionAttributes)
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PGTARGETSESSIONATTRS"))
            && ListsSeveralHosts(builder.Host ?? Environment.GetEnvironmentVariable("PGHOST")))
        {
            builder.TargetSessionAttributes = "primary";
        }
    }

    private static bool ListsSeveralHosts(string? hosts) => hosts is not null && hosts.Contains(',', StringComparison.Ordinal);
}
