using System.CommandLine;
using Cdc.Listener.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Cdc.Listener.Cli;

/// <summary><c>cdc run</c>: the sidecar. Command-line options override appsettings.json and CDC__* variables.</summary>
internal static class RunCommand
{
    /// <summary>Each option and the configuration key it sets.</summary>
    private static readonly (Option<string?> Option, string Key)[] Mapped =
    [
        (new("--connection") { Description = "Npgsql connection string of the source database (role with REPLICATION). Key Cdc:Connection. Required (or CDC__CONNECTION).", HelpName = "string" }, "Cdc:Connection"),
        (new("--nats") { Description = "NATS server URLs, comma separated. Key Cdc:Nats:Url. [default: nats://127.0.0.1:4222]", HelpName = "url" }, "Cdc:Nats:Url"),
        (new("--slot") { Description = "Replication slot, created when missing. Key Cdc:Slot. [default: cdc]", HelpName = "name" }, "Cdc:Slot"),
        (new("--publication") { Description = "Publication, created when missing for the tables with a key, with <name>_inserts (inserts only) for those without. Key Cdc:Publication. [default: cdc]", HelpName = "name" }, "Cdc:Publication"),
        (new("--stream") { Description = "JetStream stream, created or validated at start. Key Cdc:Nats:Stream. [default: CDC]", HelpName = "name" }, "Cdc:Nats:Stream"),
        (new("--subject-prefix") { Description = "Subjects are <prefix>.<database>.<schema>.<table>. Key Cdc:Nats:SubjectPrefix. [default: cdc]", HelpName = "prefix" }, "Cdc:Nats:SubjectPrefix"),
        (new("--snapshot") { Description = "initial (publish existing rows when the slot is created), never, or initial_only (snapshot, then exit). Key Cdc:Snapshot. [default: initial]", HelpName = "mode" }, "Cdc:Snapshot"),
        (new("--sink") { Description = "nats, or null (acknowledge at once, for benchmarks). Key Cdc:Sink. [default: nats]", HelpName = "kind" }, "Cdc:Sink"),
        (new("--max-in-flight-bytes") { Description = "Bytes delivered to the sink but not yet acknowledged before reading pauses. Key Cdc:Pusher:MaxInFlightBytes. [default: 67108864 (64 MiB)]", HelpName = "bytes" }, "Cdc:Pusher:MaxInFlightBytes"),
        (new("--dedupe") { Description = "Overload mode: while NATS lags, keep only the newest pending change per row key (true or false). Key Cdc:Pusher:Dedupe. [default: false]", HelpName = "bool" }, "Cdc:Pusher:Dedupe"),
        (new("--protocol-version") { Description = "pgoutput protocol 1-4, 0 = newest the server supports. Key Cdc:ProtocolVersion. [default: 0]", HelpName = "n" }, "Cdc:ProtocolVersion"),
        (new("--binary") { Description = "Values in binary send format (PostgreSQL 14+): true or false. Key Cdc:Binary. [default: false]", HelpName = "bool" }, "Cdc:Binary"),
        (new("--streaming") { Description = "Stream in-progress transactions (PostgreSQL 14+): true or false. Key Cdc:Streaming. [default: true]", HelpName = "bool" }, "Cdc:Streaming"),
        (new("--nats-user") { Description = "NATS user (with --nats-password). Key Cdc:Nats:User. [default: none]", HelpName = "user" }, "Cdc:Nats:User"),
        (new("--nats-password") { Description = "NATS password; prefer CDC__NATS__PASSWORD. Key Cdc:Nats:Password. [default: none]", HelpName = "password" }, "Cdc:Nats:Password"),
        (new("--nats-token") { Description = "NATS token; prefer CDC__NATS__TOKEN. Key Cdc:Nats:Token. [default: none]", HelpName = "token" }, "Cdc:Nats:Token"),
        (new("--nats-ca") { Description = "CA file that signs the NATS server's TLS certificate; only this CA is trusted. Key Cdc:Nats:TlsCaFile. [default: none, system trust store]", HelpName = "file" }, "Cdc:Nats:TlsCaFile"),
        (new("--nats-creds") { Description = "NATS .creds file (user JWT and seed) for operator mode. Key Cdc:Nats:CredsFile. [default: none]", HelpName = "file" }, "Cdc:Nats:CredsFile"),
        (new("--nats-nkey") { Description = "File with a NATS user NKey seed (SU...). Key Cdc:Nats:NKeySeedFile. [default: none]", HelpName = "file" }, "Cdc:Nats:NKeySeedFile"),
        (new("--nats-tls") { Description = "NATS TLS: auto, require, or first (TLS handshake before INFO). Key Cdc:Nats:TlsMode. [default: auto]", HelpName = "mode" }, "Cdc:Nats:TlsMode"),
        (new("--replicas") { Description = "JetStream stream replicas (1-5). Key Cdc:Nats:Replicas. [default: 1 for a stream Cdc creates; an existing stream keeps its own]", HelpName = "n" }, "Cdc:Nats:Replicas"),
        (new("--shutdown-timeout") { Description = "How long a stop waits for in-flight acks (hh:mm:ss). Key Cdc:ShutdownTimeout. [default: 00:00:15]", HelpName = "time" }, "Cdc:ShutdownTimeout"),
        (new("--http") { Description = "Address of the HTTP endpoint (/status, /metrics, /healthz, /readyz): host:port with an IP, localhost or * as host, or off. Key Cdc:Http:Listen. [default: 127.0.0.1:8089]", HelpName = "address" }, "Cdc:Http:Listen"),
    ];

    public static Command Create() => Build("run", "Run the sidecar: stream committed changes from PostgreSQL to NATS JetStream.", RunHostAsync);

    /// <summary>A command that takes every setting of <c>cdc run</c> (options, --set, --config) and hands the overrides to <paramref name="body"/>.</summary>
    internal static Command Build(string name, string description, Func<string?, Dictionary<string, string?>, bool, Task<int>> body)
    {
        var tables = new Option<string[]>("--tables")
        {
            Description = "Tables for a publication Cdc creates (schema.table), comma separated or repeated. Key Cdc:Tables. [default: all tables]",
            HelpName = "schema.table",
            AllowMultipleArgumentsPerToken = true,
        };
        var outboxTables = new Option<string[]>("--outbox-tables")
        {
            Description = "Outbox tables (schema.table) whose inserted rows are published as the messages they carry, comma separated or repeated. Key Cdc:Outbox:Tables. [default: none]",
            HelpName = "schema.table",
            AllowMultipleArgumentsPerToken = true,
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Any setting as Key=Value, e.g. --set Cdc:Nats:BatchMaxRows=500 (repeatable). [default: none]",
            HelpName = "Key=Value",
        };
        var logFormat = new Option<string>("--log-format")
        {
            Description = "Log format: console (for people) or json (for machines).",
            DefaultValueFactory = _ => "console",
        };
        logFormat.AcceptOnlyFromAmong("console", "json");
        var config = new Option<string?>("--config") { Description = "Extra JSON settings file: overrides appsettings.json and CDC__* variables; options override it. [default: none]", HelpName = "file" };

        var command = new Command(name, description);
        foreach (var (option, _) in Mapped)
        {
            command.Options.Add(option);
        }

        command.Options.Add(tables);
        command.Options.Add(outboxTables);
        command.Options.Add(set);
        command.Options.Add(logFormat);
        command.Options.Add(config);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (option, key) in Mapped)
            {
                if (parse.GetValue(option) is { } value)
                {
                    overrides[key] = value;
                }
            }

            AddList(overrides, "Cdc:Tables", parse.GetValue(tables));
            AddList(overrides, "Cdc:Outbox:Tables", parse.GetValue(outboxTables));

            foreach (var pair in parse.GetValue(set) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    await Console.Error.WriteLineAsync($"{Prefix(name)}: --set '{pair}' is not Key=Value").ConfigureAwait(false);
                    return ExitCodes.BadConfiguration;
                }

                overrides[pair[..eq]] = pair[(eq + 1)..];
            }

            return await body(parse.GetValue(config), overrides, parse.GetValue(logFormat) == "json").ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>A list option's values (comma separated or repeated) as <c>key:0</c>, <c>key:1</c>, ...</summary>
    private static void AddList(Dictionary<string, string?> overrides, string key, string[]? values)
    {
        var list = (values ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        for (var i = 0; i < list.Count; i++)
        {
            overrides[$"{key}:{i}"] = list[i];
        }
    }

    /// <summary>The one line for a setting that stops a start (exit code 2), or null when <paramref name="e"/> is something else.</summary>
    internal static string? ConfigurationError(Exception e) => e switch
    {
        OptionsValidationException v => v.Failures.First(),
        CdcConfigurationException c => c.Message,

        // A settings file that is not JSON: the file, and where the parser stopped.
        InvalidDataException d => $"{d.Message.TrimEnd('.')}: {d.GetBaseException().Message}",

        // Binding a value of the wrong type names the key.
        InvalidOperationException { InnerException: FormatException or InvalidCastException or OverflowException or ArgumentException } i => i.Message,
        _ => null,
    };

    /// <summary>"cdc" for run (its messages have always started so), "cdc check" for the others.</summary>
    private static string Prefix(string name) => name == "run" ? "cdc" : "cdc " + name;

    private static async Task<int> RunHostAsync(string? configFile, Dictionary<string, string?> overrides, bool jsonLogs)
    {
        try
        {
            using var host = CdcHost.Build(configFile, overrides, jsonLogs);
            await host.RunAsync().ConfigureAwait(false);
            return Environment.ExitCode;
        }
        catch (Exception e) when (ConfigurationError(e) is { } line)
        {
            await Console.Error.WriteLineAsync("cdc: " + line).ConfigureAwait(false);
            return ExitCodes.BadConfiguration;
        }
    }
}
