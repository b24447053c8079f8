using Microsoft.Extensions.Options;
using Npgsql;

namespace Cdc.Listener.Configuration;

/// <summary>
/// Checks every setting at start; each failure names the configuration key (as in appsettings.json,
/// <c>CDC__*</c> or the command line) and what is accepted.
/// </summary>
public sealed class CdcOptionsValidator : IValidateOptions<CdcOptions>
{
    private static readonly string[] Sinks = ["nats", "null"];
    private static readonly string[] Snapshots = ["initial", "never", "initial_only"];
    private static readonly string[] Storages = ["file", "memory"];
    private static readonly string[] OversizePolicies = ["fail", "reference"];
    private static readonly string[] TlsModes = ["auto", "require", "first"];
    private static readonly string[] Formats = ["protobuf", "json", "cloudevents"];
    private static readonly string[] CloudEventsModes = ["structured", "binary"];
    private static readonly string[] DataFormats = ["json", "protobuf"];

    public ValidateOptionsResult Validate(string? name, CdcOptions options)
    {
        var errors = new List<string>();
        Check(errors, options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Throws <see cref="CdcConfigurationException"/> with the first problem.</summary>
    public static void ThrowIfInvalid(CdcOptions options)
    {
        var errors = new List<string>();
        Check(errors, options);
        if (errors.Count > 0)
        {
            throw new CdcConfigurationException(errors[0]);
        }
    }

    private static void Check(List<string> errors, CdcOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Connection))
        {
            errors.Add("Cdc:Connection is missing: give the source database's Npgsql connection string (--connection or CDC__CONNECTION)");
        }
        else
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(o.Connection);
                if (string.IsNullOrEmpty(builder.Database) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PGDATABASE")))
                {
                    errors.Add("Cdc:Connection has no Database=... (nor is PGDATABASE set): logical replication works on one database");
                }

                errors.AddRange(UnsupportedConnectionKeys.In(builder));
                if (!string.IsNullOrEmpty(o.PasswordFile) && !string.IsNullOrEmpty(builder.Password))
                {
                    errors.Add("Cdc:PasswordFile and a Password in Cdc:Connection are both given: keep one");
                }
            }
            catch (ArgumentException e)
            {
                // The message of Npgsql names the bad keyword; never echo the string (it may hold a password).
                errors.Add($"Cdc:Connection is not a valid Npgsql connection string: {e.Message}");
            }
        }

        if (!string.IsNullOrEmpty(o.PasswordFile) && !File.Exists(o.PasswordFile))
        {
            errors.Add($"Cdc:PasswordFile = '{o.PasswordFile}' does not exist: give the path of a file that holds the password");
        }

        Identifier(errors, "Cdc:Slot", o.Slot, slot: true);
        Identifier(errors, "Cdc:Publication", o.Publication, slot: false);
        foreach (var table in o.Tables)
        {
            if (string.IsNullOrWhiteSpace(table) || table.Split('.').Length > 2 || table.Split('.').Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"Cdc:Tables has '{table}': expected table or schema.table");
            }
        }

        foreach (var table in o.Outbox.Tables)
        {
            if (string.IsNullOrWhiteSpace(table) || table.Split('.').Length > 2 || table.Split('.').Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"Cdc:Outbox:Tables has '{table}': expected table or schema.table");
            }
        }

        Range(errors, "Cdc:Outbox:DeleteBatchRows", o.Outbox.DeleteBatchRows, 1, 100_000, "1 to 100000");
        if (o.ProtocolVersion is < 0 or > 4)
        {
            errors.Add($"Cdc:ProtocolVersion = {o.ProtocolVersion} is out of range: accepted 0 (auto), 1, 2, 3 or 4");
        }

        OneOf(errors, "Cdc:Sink", o.Sink, Sinks);
        OneOf(errors, "Cdc:Format", o.Format, Formats);
        OneOf(errors, "Cdc:CloudEvents:Mode", o.CloudEvents.Mode, CloudEventsModes);
        OneOf(errors, "Cdc:CloudEvents:DataFormat", o.CloudEvents.DataFormat, DataFormats);
        if (o.Pusher.Dedupe && !string.Equals(o.Format, "protobuf", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Cdc:Pusher:Dedupe = true works with Cdc:Format = protobuf only (it merges protobuf events), not '{o.Format}'");
        }

        OneOf(errors, "Cdc:Snapshot", o.Snapshot, Snapshots);
        Range(errors, "Cdc:Pusher:MaxInFlightBytes", o.Pusher.MaxInFlightBytes, 1L << 20, 64L << 30, "1 MiB to 64 GiB");
        Range(errors, "Cdc:Pusher:ChunkMaxBytes", o.Pusher.ChunkMaxBytes, 4 << 10, 64 << 20, "4 KiB to 64 MiB");
        Range(errors, "Cdc:Backfill:ChunkRows", o.Backfill.ChunkRows, 1, 1_000_000, "1 to 1000000");
        Range(errors, "Cdc:Backfill:MaxRowsPerSecond", o.Backfill.MaxRowsPerSecond, 0, 100_000_000, "0 (no limit) to 100000000");
        Range(errors, "Cdc:Backfill:PauseAboveInFlightBytes", o.Backfill.PauseAboveInFlightBytes, 0, 64L << 30, "0 (never pause) to 64 GiB");
        if (o.Pusher.ChunkMaxBytes > o.Pusher.MaxInFlightBytes)
        {
            errors.Add($"Cdc:Pusher:ChunkMaxBytes ({o.Pusher.ChunkMaxBytes}) must not exceed Cdc:Pusher:MaxInFlightBytes ({o.Pusher.MaxInFlightBytes})");
        }

        if (o.ShutdownTimeout < TimeSpan.Zero || o.ShutdownTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"Cdc:ShutdownTimeout = {o.ShutdownTimeout} is out of range: accepted 00:00:00 to 01:00:00");
        }

        if (o.Heartbeat.Interval != TimeSpan.Zero && (o.Heartbeat.Interval < TimeSpan.FromMilliseconds(100) || o.Heartbeat.Interval > TimeSpan.FromHours(1)))
        {
            errors.Add($"Cdc:Heartbeat:Interval = {o.Heartbeat.Interval} is out of range: accepted 00:00:00 (off) or 00:00:00.1 to 01:00:00");
        }
        else if (o.Heartbeat.Interval != TimeSpan.Zero && o.Heartbeat.Timeout <= o.Heartbeat.Interval)
        {
            errors.Add($"Cdc:Heartbeat:Timeout = {o.Heartbeat.Timeout} must be longer than Cdc:Heartbeat:Interval ({o.Heartbeat.Interval})");
        }

        if (o.StatusInterval < TimeSpan.FromMilliseconds(100) || o.StatusInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Cdc:StatusInterval = {o.StatusInterval} is out of range: accepted 00:00:00.1 to 00:10:00");
        }

        if (o.ReceiverTimeout != TimeSpan.Zero && (o.ReceiverTimeout < TimeSpan.FromSeconds(1) || o.ReceiverTimeout > TimeSpan.FromHours(1)))
        {
            errors.Add($"Cdc:ReceiverTimeout = {o.ReceiverTimeout} is out of range: accepted 00:00:00 (off) or 00:00:01 to 01:00:00");
        }

        var n = o.Nats;
        if (string.Equals(o.Sink, "nats", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var url in n.Url.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).DefaultIfEmpty(string.Empty))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss") || string.IsNullOrEmpty(uri.Host))
                {
                    errors.Add($"Cdc:Nats:Url has '{Redact(url)}': expected nats://, tls://, ws:// or wss:// host:port, comma separated");
                }
            }
        }

        if (string.IsNullOrEmpty(n.Stream) || n.Stream.Length > 255 || !n.Stream.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            errors.Add($"Cdc:Nats:Stream = '{n.Stream}' is not a valid stream name: letters, digits, - and _ only");
        }

        if (string.IsNullOrEmpty(n.SubjectPrefix) || n.SubjectPrefix.AsSpan().IndexOfAny(" *>\t\r\n") >= 0
            || n.SubjectPrefix.Split('.').Any(token => token.Length == 0))
        {
            errors.Add($"Cdc:Nats:SubjectPrefix = '{n.SubjectPrefix}' is not a valid subject prefix: tokens separated by '.', no spaces, '*' or '>'");
        }

        Syntax(errors, () => SubjectTemplate.From(n.SubjectTemplate, n.SubjectIncludesOperation));
        Syntax(errors, () => PublicationFilters.From(o));

        OneOf(errors, "Cdc:Nats:Storage", n.Storage, Storages);
        OneOf(errors, "Cdc:Nats:OversizePolicy", n.OversizePolicy, OversizePolicies);
        if (n.Replicas is { } replicas)
        {
            Range(errors, "Cdc:Nats:Replicas", replicas, 1, 5, "1 to 5");
        }

        Range(errors, "Cdc:Nats:MaxPendingAcks", n.MaxPendingAcks, 1, 1_000_000, "1 to 1000000");
        Range(errors, "Cdc:Nats:BatchMaxRows", n.BatchMaxRows, 1, 1_000_000, "1 to 1000000");
        Range(errors, "Cdc:Nats:BatchMaxBytes", n.BatchMaxBytes, 1024, 256 << 20, "1 KiB to 256 MiB");
        if (n.RefusalRetryTime < TimeSpan.Zero || n.RefusalRetryTime > TimeSpan.FromHours(1))
        {
            errors.Add($"Cdc:Nats:RefusalRetryTime = {n.RefusalRetryTime} is out of range: accepted 00:00:00 to 01:00:00");
        }

        if (n.PingInterval < TimeSpan.FromMilliseconds(100) || n.PingInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"Cdc:Nats:PingInterval = {n.PingInterval} is out of range: accepted 00:00:00.1 to 01:00:00");
        }

        if (n.DuplicateWindow is { } window && (window < TimeSpan.FromSeconds(1) || window > TimeSpan.FromDays(7)))
        {
            errors.Add($"Cdc:Nats:DuplicateWindow = {n.DuplicateWindow} is out of range: accepted 00:00:01 to 7.00:00:00");
        }

        if (n.BatchTimeout < TimeSpan.Zero || n.BatchTimeout > TimeSpan.FromSeconds(10))
        {
            errors.Add($"Cdc:Nats:BatchTimeout = {n.BatchTimeout} is out of range: accepted 00:00:00 to 00:00:10");
        }

        OneOf(errors, "Cdc:Nats:TlsMode", n.TlsMode, TlsModes);
        var authMethods = new[] { n.Token, n.User, n.NKeySeedFile, n.CredsFile }.Count(value => !string.IsNullOrEmpty(value));
        if (authMethods > 1)
        {
            errors.Add("Cdc:Nats: give one of Token, User/Password, NKeySeedFile or CredsFile");
        }

        foreach (var (key, file) in new[] { ("TlsCaFile", n.TlsCaFile), ("TlsCertFile", n.TlsCertFile), ("TlsKeyFile", n.TlsKeyFile), ("NKeySeedFile", n.NKeySeedFile), ("CredsFile", n.CredsFile) })
        {
            if (!string.IsNullOrEmpty(file) && !File.Exists(file))
            {
                errors.Add($"Cdc:Nats:{key} = '{file}' does not exist");
            }
        }

        if (string.IsNullOrEmpty(n.TlsCertFile) != string.IsNullOrEmpty(n.TlsKeyFile))
        {
            errors.Add("Cdc:Nats:TlsCertFile and Cdc:Nats:TlsKeyFile go together: give both or neither");
        }
    }

    private static void Identifier(List<string> errors, string key, string value, bool slot)
    {
        // Slot names: lower-case letters, digits and underscore, at most 63 (PostgreSQL's rule).
        var ok = !string.IsNullOrEmpty(value) && value.Length <= 63
            && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' || (!slot && c is >= 'A' and <= 'Z'));
        if (!ok)
        {
            errors.Add($"{key} = '{value}' is not valid: 1 to 63 characters, {(slot ? "lower-case " : string.Empty)}letters, digits and _");
        }
    }

    private static void OneOf(List<string> errors, string key, string value, string[] accepted)
    {
        if (!accepted.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"{key} = '{value}' is not accepted: one of {string.Join(", ", accepted)}");
        }
    }

    private static void Range(List<string> errors, string key, long value, long min, long max, string accepted)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key} = {value} is out of range: accepted {accepted}");
        }
    }

    private static string Redact(string url)
        => Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.UserInfo)
            ? url.Replace(uri.UserInfo + "@", "***@", StringComparison.Ordinal)
            : url;

    /// <summary>A setting read by its own parser (subject template, filters): its one-line refusal becomes an error.</summary>
    private static void Syntax(List<string> errors, Action parse)
    {
        try
        {
            parse();
        }
        catch (CdcConfigurationException e)
        {
            errors.Add(e.Message);
        }
    }
}
