using System.CommandLine;
using System.CommandLine.Invocation;
using Cdc.Listener.Backfill.Window;
using Cdc.Listener.Configuration;
using Cdc.Listener.Hosting;
using Cdc.Listener.Source;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Cdc.Listener.Cli;

/// <summary>
/// <c>cdc backfill --table schema.table [--where predicate]</c>: requests an online backfill by committing the
/// request as a logical decoding message (<see cref="BackfillSignal"/>), exactly what a user can send from SQL. The
/// running <c>cdc run</c> picks it up from its slot in commit order; if none runs, the next one does.
/// </summary>
internal static class BackfillCommand
{
    public static Command Create()
    {
        var table = new Option<string>("--table") { Description = "The table to read again, schema.table.", HelpName = "schema.table", Required = true };
        var where = new Option<string?>("--where") { Description = "Only the rows matching this SQL predicate. [default: every row]", HelpName = "predicate" };
        string? tableValue = null;
        string? whereValue = null;
        var command = RunCommand.Build(
            "backfill",
            "Request an online backfill of one table: the running cdc run re-reads it in key chunks while streaming goes on (progress in cdc status). The same as SELECT pg_logical_emit_message(true, 'cdc.backfill', '{\"table\":\"schema.table\"}') from SQL.",
            (configFile, overrides, _) => RequestAsync(configFile, overrides, tableValue!, whereValue));
        command.Options.Add(table);
        command.Options.Add(where);
        var inner = (AsynchronousCommandLineAction)command.Action!;
        command.SetAction((parse, cancellationToken) =>
        {
            tableValue = parse.GetValue(table);
            whereValue = parse.GetValue(where);
            return inner.InvokeAsync(parse, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RequestAsync(string? configFile, Dictionary<string, string?> overrides, string table, string? where)
    {
        CdcOptions options;
        try
        {
            using var host = CdcHost.Build(configFile, overrides, jsonLogs: false);
            options = host.Services.GetRequiredService<IOptions<CdcOptions>>().Value;
        }
        catch (Exception e) when (RunCommand.ConfigurationError(e) is { } line)
        {
            await Console.Error.WriteLineAsync("cdc backfill: " + line).ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }

        if (BackfillSignal.TryCreate(table, where, out var error) is not { } signal)
        {
            await Console.Error.WriteLineAsync("cdc backfill: " + error).ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }

        try
        {
            var conn = await SourceSetup.OpenAsync(new SourceConnectionStrings(options), CancellationToken.None).ConfigureAwait(false);
            await using (conn.ConfigureAwait(false))
            {
                await using (var exists = new NpgsqlCommand("SELECT to_regclass(format('%I.%I', $1::text, $2::text)) IS NOT NULL", conn))
                {
                    exists.Parameters.AddWithValue(signal.Schema);
                    exists.Parameters.AddWithValue(signal.Table);
                    if (await exists.ExecuteScalarAsync().ConfigureAwait(false) is not true)
                    {
                        await Console.Error.WriteLineAsync($"cdc backfill: there is no table {signal.QualifiedName} in {conn.Database}").ConfigureAwait(false);
                        return ExitCodes.BadConfiguration;
                    }
                }

                if (signal.Where is { } predicate)
                {
                    // Planned, not run, the way the chunks will use it: a typo is reported here, not in cdc run's log.
                    await using var plan = new NpgsqlCommand(
                        $"EXPLAIN SELECT 1 FROM {SourceSetup.Quote(signal.Schema)}.{SourceSetup.Quote(signal.Table)} AS t WHERE ({predicate})", conn);
                    try
                    {
                        await plan.ExecuteNonQueryAsync().ConfigureAwait(false);
                    }
                    catch (PostgresException e)
                    {
                        await Console.Error.WriteLineAsync($"cdc backfill: the predicate '{predicate}' is refused ({e.SqlState}): {e.MessageText}; give a boolean expression over the table's unqualified columns").ConfigureAwait(false);
                        return ExitCodes.BadConfiguration;
                    }
                }

                await using var emit = new NpgsqlCommand("SELECT pg_logical_emit_message(true, $1, $2)::text", conn);
                emit.Parameters.AddWithValue(BackfillSignal.Prefix);
                emit.Parameters.AddWithValue(signal.ToJson());
                var lsn = await emit.ExecuteScalarAsync().ConfigureAwait(false);
                await Console.Out.WriteLineAsync($"cdc backfill: requested {signal.QualifiedName}{(signal.Where is null ? "" : " where " + signal.Where)} at {lsn}; cdc run on slot {options.Slot} picks it up (cdc status shows its progress)").ConfigureAwait(false);
                return 0;
            }
        }
        catch (CdcException e)
        {
            await Console.Error.WriteLineAsync("cdc backfill: " + e.Message).ConfigureAwait(false);
            return 1;
        }
        catch (PostgresException e)
        {
            await Console.Error.WriteLineAsync($"cdc backfill: PostgreSQL refused the request ({e.SqlState}): {e.MessageText}").ConfigureAwait(false);
            return 1;
        }
    }
}
