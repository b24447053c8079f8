using System.CommandLine;
using System.Text.Json;
using Cdc.Listener.Configuration;
using Cdc.Listener.Hosting;
using Cdc.Listener.Http;
using Npgsql;
using Spectre.Console.Advanced;
using Spectre.Console;

namespace Cdc.Listener.Cli;

/// <summary>
/// <c>cdc status</c>: one screen (or one JSON document) with the slot, the listener, the sink and
/// per-table counts. Exit code 0 healthy, 3 lagging, 4 sidecar down, 5 degraded (sink not connected, or --connection unreadable), 2 bad option.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var http = new Option<string>("--http")
        {
            Description = "Address of the sidecar's status endpoint (its Cdc:Http:Listen).",
            HelpName = "address",
            DefaultValueFactory = _ => HttpEndpointOptions.DefaultListen,
        };
        var connection = new Option<string?>("--connection")
        {
            Description = "Npgsql connection string, to read the slot and publication from PostgreSQL (shown even when the sidecar is down). [default: the CDC__CONNECTION variable; without either, the slot as the sidecar last read it]",
            HelpName = "string",
        };
        var passwordFile = new Option<string?>("--password-file")
        {
            Description = "File holding the password for --connection, read at each refresh (Cdc:PasswordFile). [default: the CDC__PASSWORDFILE variable]",
            HelpName = "path",
        };
        var slot = new Option<string>("--slot") { Description = "Replication slot to report on.", HelpName = "name", DefaultValueFactory = _ => "cdc" };
        var publication = new Option<string>("--publication") { Description = "Publication to report on.", HelpName = "name", DefaultValueFactory = _ => "cdc" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Refresh the screen in place until Ctrl-C. [default: off]" };
        var interval = new Option<string>("--interval")
        {
            Description = "Refresh interval of --watch (e.g. 500ms, 2s).",
            HelpName = "duration",
            DefaultValueFactory = _ => "1s",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document (for scripts) instead of the screen. [default: off]" };
        var maxLag = new Option<string>("--max-lag")
        {
            Description = "End-to-end or slot flush lag above which the sidecar counts as lagging (exit 3).",
            HelpName = "duration",
            DefaultValueFactory = _ => "30s",
        };
        var maxLagBytes = new Option<string>("--max-lag-bytes")
        {
            Description = "Slot lag in WAL bytes above which the sidecar counts as lagging (exit 3), e.g. 256MiB or 1 GiB.",
            HelpName = "size",
            DefaultValueFactory = _ => "256MiB",
        };

        var command = new Command("status", "Show the slot, the listener, the sink and per-table counts. Exit code: 0 healthy, 2 bad option, 3 lagging, 4 sidecar down, 5 degraded (sink not connected to NATS, or PostgreSQL unreadable with --connection).")
        {
            http, connection, passwordFile, slot, publication, watch, interval, json, maxLag, maxLagBytes,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                SettingsCheck.CheckEnvironment();
            }
            catch (CdcConfigurationException e)
            {
                return Fail(e.Message);
            }

            var endpoint = ListenAddress.Parse(parse.GetValue(http), out var error);
            if (error is not null || endpoint is null)
            {
                return Fail($"--http {error ?? "off: there is no endpoint to ask"}");
            }

            if (!DurationText.TryParse(parse.GetValue(interval), out var every) || every < TimeSpan.FromMilliseconds(100))
            {
                return Fail($"--interval '{parse.GetValue(interval)}' is not valid: {DurationText.Accepted}, at least 100ms");
            }

            if (!DurationText.TryParse(parse.GetValue(maxLag), out var lag))
            {
                return Fail($"--max-lag '{parse.GetValue(maxLag)}' is not valid: {DurationText.Accepted}");
            }

            if (!ByteText.TryParse(parse.GetValue(maxLagBytes), out var lagBytes) || lagBytes < 0)
            {
                return Fail($"--max-lag-bytes '{parse.GetValue(maxLagBytes)}' is not valid: accepted {ByteText.Accepted}, 0 or more");
            }

            var connectionString = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("CDC__CONNECTION");
            if (ConnectionStringError(connectionString) is { } invalid)
            {
                var source = parse.GetValue(connection) is null ? "CDC__CONNECTION" : "--connection";
                return Fail($"{source} is not a valid connection string: {invalid}");
            }

            using var collector = new StatusCollector(
                ListenAddress.BaseUri(endpoint), connectionString, parse.GetValue(passwordFile) ?? Environment.GetEnvironmentVariable("CDC__PASSWORDFILE"), parse.GetValue(slot)!, parse.GetValue(publication)!,
                new StatusThresholds(lag, lagBytes));
            using var cancellation = new ConsoleCancellation(cancellationToken);
            var token = cancellation.Token;

            if (parse.GetValue(json))
            {
                var report = await collector.CollectAsync(token).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(report, StatusReportJsonContext.Default.StatusReport)).ConfigureAwait(false);
                return report.ExitCode;
            }

            if (!parse.GetValue(watch))
            {
                var report = await collector.CollectAsync(token).ConfigureAwait(false);
                Terminal.Out.Write(StatusScreen.Render(report));
                return report.ExitCode;
            }

            return await WatchAsync(collector, every, token).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Redraws in place until Ctrl-C, then leaves the last screen; returns the exit code of the last
    /// report. The live view runs in the terminal's alternate screen, so the ^C echo cannot disturb it
    /// and the shell's scrollback keeps only the final screen.
    /// </summary>
    private static async Task<int> WatchAsync(StatusCollector collector, TimeSpan every, CancellationToken cancellationToken)
    {
        var report = await collector.CollectAsync(cancellationToken).ConfigureAwait(false);
        var alternate = Terminal.Out.Profile.Capabilities.Ansi && Terminal.Out.Profile.Capabilities.AlternateBuffer;
        if (alternate)
        {
            Terminal.Out.Write(new ControlCode("\u001b[?1049h\u001b[H"));
        }

        try
        {
            await Terminal.Out.Live(StatusScreen.Render(report))
                .AutoClear(false)
                .Overflow(VerticalOverflow.Ellipsis)
                .StartAsync(async context =>
                {
                    try
                    {
                        while (!cancellationToken.IsCancellationRequested)
                        {
                            await Task.Delay(every, cancellationToken).ConfigureAwait(false);
                            report = await collector.CollectAsync(cancellationToken).ConfigureAwait(false);
                            context.UpdateTarget(StatusScreen.Render(report));
                            context.Refresh();
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        // Ctrl-C ends the watch.
                    }
                }).ConfigureAwait(false);
        }
        finally
        {
            if (alternate)
            {
                Terminal.Out.Write(new ControlCode("\u001b[?1049l"));
            }
        }

        Terminal.Out.Write(StatusScreen.Render(report));
        return report.ExitCode;
    }

    /// <summary>A connection string Npgsql cannot parse is a usage error, not a sign that PostgreSQL is down.</summary>
    private static string? ConnectionStringError(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null; // optional: without it the slot section is left out
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return e.Message;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("cdc status: " + message);
        return ExitCodes.BadConfiguration;
    }
}
