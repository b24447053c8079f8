using System.CommandLine;
using Cdc.Listener.Configuration;
using Cdc.Listener.Hosting;
using Cdc.Listener.Pipeline;
using Cdc.Listener.Source;
using Cdc.Listener.Snapshot;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Cdc.Listener.Cli;

/// <summary>
/// <c>cdc check</c>: a dry run with the settings of <c>cdc run</c>. Reports what <c>cdc run</c> would create and what
/// would stop it (server settings, role rights, tables that cannot be keyed, publication, slot, NATS, stream), and
/// changes nothing. Exit code 0: it would start; 1: something would stop it; 2: a bad setting.
/// </summary>
internal static class CheckCommand
{
    public static Command Create() => RunCommand.Build(
        "check",
        "Dry run: check the settings, PostgreSQL (settings, role rights, tables that cannot be keyed, publication, slot) and NATS (server, stream) as cdc run would, changing nothing. Exit code: 0 cdc run would start, 1 something would stop it, 2 bad setting.",
        (configFile, overrides, _) => CheckAsync(configFile, overrides));

    private static async Task<int> CheckAsync(string? configFile, Dictionary<string, string?> overrides)
    {
        CdcOptions options;
        try
        {
            using var host = CdcHost.Build(configFile, overrides, jsonLogs: false);
            options = host.Services.GetRequiredService<IOptions<CdcOptions>>().Value;
            _ = host.Services.GetRequiredService<IOptions<HttpEndpointOptions>>().Value;
        }
        catch (Exception e) when (RunCommand.ConfigurationError(e) is { } line)
        {
            await Console.Error.WriteLineAsync("cdc check: " + line).ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }

        var output = Console.Out;
        await output.WriteLineAsync("cdc check: what cdc run would do with these settings; nothing is changed").ConfigureAwait(false);
        var report = new CheckReport(output);
        report.Ok("settings", "every key is known and every value valid");
        await CheckSourceAsync(options, report).ConfigureAwait(false);
        if (string.Equals(options.Sink, "null", StringComparison.OrdinalIgnoreCase))
        {
            report.Ok("sink", "null: changes are acknowledged at once, nothing to reach");
        }
        else
        {
            await NatsProbe.CheckAsync(options, report, CancellationToken.None).ConfigureAwait(false);
        }

        return report.Finish();
    }

    private static async Task CheckSourceAsync(CdcOptions options, CheckReport report)
    {
        var where = new SourceConnectionStrings(options).Describe();
        var warnings = new CollectingLogger();
        SourcePlan plan;
        try
        {
            plan = await new SourceSetup(options, warnings).CheckAsync().ConfigureAwait(false);
            SessionContext.Negotiate(options, plan.ServerVersionNum);
        }
        catch (CdcException e)
        {
            report.Fail("postgresql", e.Message);
            return;
        }

        report.Ok("postgresql", $"{where} (server_version_num {plan.ServerVersionNum}): wal_level logical, the role may replicate, a slot and a WAL sender are free");
        foreach (var warning in warnings.Warnings)
        {
            report.Warn("postgresql", warning);
        }

        var publication = plan.Publication;
        if (publication.Exists)
        {
            report.Ok("publication", $"{string.Join(" and ", publication.StreamPublications)} exist{(publication.StreamPublications.Count == 1 ? "s" : "")}: used as they are");
        }
        else
        {
            var keyless = publication.Keyless.Count == 0
                ? "; every table has a key"
                : $", and {publication.InsertsName} (inserts and truncates only, so the application's updates and deletes keep working) for the {publication.Keyless.Count} without one: {string.Join(", ", publication.Keyless.Select(t => t.QualifiedName))}";
            var filtered = publication.Entries.Count == 0 ? string.Empty : "; filtered (Cdc:ExcludeColumns, Cdc:RowFilters): " + string.Join(", ", publication.Entries.Values.Order(StringComparer.Ordinal));
            report.Plan("publication", $"{publication.Name} does not exist: cdc run would create it for the {publication.Keyed.Count} tables with a key{keyless}{filtered}");
        }

        if (plan.SlotConfirmedFlushLsn is { } confirmed)
        {
            report.Ok("slot", $"{options.Slot} exists (pgoutput, confirmed flush {confirmed})");
        }
        else
        {
            var snapshot = SnapshotModes.Parse(options.Snapshot) switch
            {
                SnapshotMode.Initial => ", after publishing the rows already in the published tables (Cdc:Snapshot initial; needs one more free slot meanwhile)",
                SnapshotMode.InitialOnly => "; with Cdc:Snapshot initial_only it would publish the existing rows and stop without keeping a slot",
                _ => string.Empty,
            };
            report.Plan("slot", $"{options.Slot} does not exist: cdc run would create it last, once every other check passed{snapshot}");
        }

        await OutboxCheck.CheckAsync(options, plan, report).ConfigureAwait(false);
    }
}
