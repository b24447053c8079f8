extern alias consumer;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cdc.Listener.Configuration;
using Cdc.Listener.Formats;
using Cdc.Listener.Hosting;
using Cdc.Sink.Connection;
using Cdc.Sink;
using Cdc.V1;
using consumer::Cdc.Consumer;
using consumer::Cdc.Consumer.Events;
using Google.Protobuf;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Spectre.Console;

namespace Cdc.Listener.Cli;

/// <summary>
/// <c>cdc tail</c>: decoded change events and outbox messages from the JetStream stream as they arrive, one line each,
/// with gaps in the stream sequence reported instead of skipped over silently. Read through the consumer library
/// (Cdc.Consumer): its ordered consumer, event decoding and gap reports.
/// </summary>
internal static class TailCommand
{
    private const int FetchBatch = 512;
    private static readonly string[] Operations = ["insert", "update", "delete", "truncate", "message"];

    public static Command Create()
    {
        var nats = new Option<string?>("--nats")
        {
            Description = "NATS server URL. [default: the first URL of CDC__NATS__URL, else nats://127.0.0.1:4222]",
            HelpName = "url",
        };
        var stream = new Option<string>("--stream") { Description = "JetStream stream.", HelpName = "name", DefaultValueFactory = _ => "CDC" };
        var table = new Option<string?>("--table") { Description = "Only this table: schema.table, or table in any schema. [default: every table]", HelpName = "schema.table" };
        var op = new Option<string?>("--op") { Description = "Only this operation: insert, update, delete, truncate or message. [default: all]", HelpName = "operation" };
        op.AcceptOnlyFromAmong(Operations);
        var fromStart = new Option<bool>("--from-start") { Description = "Start with the oldest message the stream holds. [default: only new messages]" };
        var fromSeq = new Option<string?>("--from-seq") { Description = "Start at this stream sequence. [default: only new messages]", HelpName = "N" };
        var since = new Option<string?>("--since") { Description = "Start with messages stored in the last duration (e.g. 10m, 2h). [default: only new messages]", HelpName = "duration" };
        var json = new Option<bool>("--json") { Description = "One JSON object per line ({\"seq\",\"subject\",\"event\"}; gaps as {\"gap\":...}). [default: human lines]" };
        var limit = new Option<string>("--limit") { Description = "Exit after printing this many changes; 0 = run until Ctrl-C.", HelpName = "N", DefaultValueFactory = _ => "0" };
        var idleExit = new Option<string?>("--exit-when-idle")
        {
            Description = "Exit when no message arrives for this long (e.g. 5s), for scripts. [default: wait for more until Ctrl-C]",
            HelpName = "duration",
        };
        var user = new Option<string?>("--nats-user") { Description = "NATS user (with --nats-password). [default: none]", HelpName = "user" };
        var password = new Option<string?>("--nats-password") { Description = "NATS password. [default: the CDC__NATS__PASSWORD variable]", HelpName = "password" };
        var token = new Option<string?>("--nats-token") { Description = "NATS token. [default: the CDC__NATS__TOKEN variable]", HelpName = "token" };
        var ca = new Option<string?>("--nats-ca") { Description = "CA file that signs the NATS server's TLS certificate; only this CA is trusted. [default: none, system trust store]", HelpName = "file" };
        var creds = new Option<string?>("--nats-creds") { Description = "NATS .creds file (operator mode). [default: the CDC__NATS__CREDSFILE variable]", HelpName = "file" };
        var nkey = new Option<string?>("--nats-nkey") { Description = "File with a NATS user NKey seed. [default: the CDC__NATS__NKEYSEEDFILE variable]", HelpName = "file" };

        var command = new Command("tail", "Print change events from the JetStream stream as they arrive: one line per change (operation, table, key, changed columns), or JSON lines.")
        {
            nats, stream, table, op, fromStart, fromSeq, since, json, limit, idleExit, user, password, token, ca, creds, nkey,
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

            if (!long.TryParse(parse.GetValue(limit), NumberStyles.None, CultureInfo.InvariantCulture, out var most))
            {
                return Fail($"--limit '{parse.GetValue(limit)}' is not valid: accepted a whole number of changes, 0 or more (0 = run until Ctrl-C)");
            }

            var starts = new[] { parse.GetValue(fromStart), parse.GetValue(fromSeq) is not null, parse.GetValue(since) is not null }.Count(b => b);
            if (starts > 1)
            {
                return Fail("--from-start, --from-seq and --since exclude each other: give one");
            }

            TailStart start = new TailStart.New();
            if (parse.GetValue(fromStart))
            {
                start = new TailStart.FromStart();
            }
            else if (parse.GetValue(fromSeq) is { } seqText)
            {
                if (!ulong.TryParse(seqText, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) || seq == 0)
                {
                    return Fail($"--from-seq '{seqText}' is not valid: accepted a stream sequence, 1 or more (stream sequences start at 1)");
                }

                start = new TailStart.FromSequence(seq);
            }
            else if (parse.GetValue(since) is { } text)
            {
                if (!DurationText.TryParse(text, out var back))
                {
                    return Fail($"--since '{text}' is not valid: {DurationText.Accepted}");
                }

                start = new TailStart.Since(DateTimeOffset.UtcNow - back);
            }

            TimeSpan? idle = null;
            if (parse.GetValue(idleExit) is { } idleText)
            {
                if (!DurationText.TryParse(idleText, out var value) || value <= TimeSpan.Zero)
                {
                    return Fail($"--exit-when-idle '{idleText}' is not valid: {DurationText.Accepted}");
                }

                idle = value;
            }

            var url = parse.GetValue(nats)
                ?? Environment.GetEnvironmentVariable("CDC__NATS__URL")?.Split(',')[0].Trim()
                ?? "nats://127.0.0.1:4222";
            if (!ServerUrl.IsValid(url) || !url.Contains("://", StringComparison.Ordinal))
            {
                return Fail($"--nats '{ServerUrl.Redact(url)}' is not valid: expected nats://, tls://, ws:// or wss:// host:port");
            }

            var options = new NatsOptions
            {
                Urls = [url],
                Name = "cdc tail",
                User = parse.GetValue(user),
                Password = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("CDC__NATS__PASSWORD"),
                Token = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("CDC__NATS__TOKEN"),
                TlsCaFile = parse.GetValue(ca),
                CredsFile = parse.GetValue(creds) ?? Environment.GetEnvironmentVariable("CDC__NATS__CREDSFILE"),
                NKeySeedFile = parse.GetValue(nkey) ?? Environment.GetEnvironmentVariable("CDC__NATS__NKEYSEEDFILE"),
                MaxReconnectAttempts = 0,
            };
            try
            {
                options.Validate();
            }
            catch (SinkConfigurationException e)
            {
                return Fail(e.Message);
            }
            var filter = new TailFilter(parse.GetValue(table), parse.GetValue(op));
            using var cancellation = new ConsoleCancellation(cancellationToken);
            try
            {
                return await RunAsync(options, parse.GetValue(stream)!, start, filter, parse.GetValue(json), most, idle, cancellation.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is TailException or CdcConsumerException or SinkException or NatsException or IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                await Console.Error.WriteLineAsync("cdc tail: " + e.Message).ConfigureAwait(false);
                return ExitCodes.Fatal;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(NatsOptions options, string stream, TailStart start, TailFilter filter, bool json, long limit, TimeSpan? idle, CancellationToken cancellationToken)
    {
        await using var connection = NatsOptsFactory.Connect(options);
        await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        var js = new NatsJSContext(connection);
        var (after, expected) = await TailConsumer.ResolveStartAsync(js, stream, start, cancellationToken).ConfigureAwait(false);
        var banner = $"tailing stream {stream} on {ServerUrl.Redact(options.Urls[0])} {Describe(start, expected)}{filter.Describe()} · Ctrl-C stops";
        if (json)
        {
            // stdout carries JSON lines only.
            await Console.Error.WriteLineAsync(banner).ConfigureAwait(false);
        }
        else
        {
            Terminal.MarkupLine($"[grey]{Markup.Escape(banner)}[/]");
        }

        var output = Console.Out;
        await using var consumer = new CdcConsumer(new CdcConsumerOptions
        {
            Stream = stream,
            ConsumerName = "cdc-tail",
            BatchSize = FetchBatch,
            OnGap = async (gap, _) => await ReportGapAsync(output, gap.FirstMissing, gap.LastMissing, json).ConfigureAwait(false),
        }, connection);

        // --exit-when-idle: a token that fires when no message arrived for that long, pushed back by every message.
        using var idleCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pushBack = idle is { } quiet ? () => idleCts.CancelAfter(quiet) : (Action)(() => { });
        pushBack();
        var printed = 0L;
        try
        {
            await foreach (var evt in consumer.ReadAsync(after, idleCts.Token).ConfigureAwait(false))
            {
                pushBack();
                if (!await PrintAsync(output, evt, filter, json).ConfigureAwait(false))
                {
                    continue;
                }

                if (limit > 0 && ++printed >= limit)
                {
                    return ExitCodes.Ok;
                }
            }
        }
        catch (OperationCanceledException) when (idleCts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Idle for --exit-when-idle.
        }
        finally
        {
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    /// <summary>Prints one event if the filters let it through; schema events and snapshot markers are not shown.</summary>
    private static async ValueTask<bool> PrintAsync(TextWriter output, CdcEvent evt, TailFilter filter, bool json)
    {
        switch (evt)
        {
            case CdcChangeEvent or CdcLogicalMessage:
                // The consumer library compiles its own cdc.v1 types: ChangeLine prints the listener's.
                var source = evt is CdcChangeEvent c ? c.Change : ((CdcLogicalMessage)evt).Change;
                var change = ChangeEvent.Parser.ParseFrom(source.ToByteString());
                if (!filter.Matches(change))
                {
                    return false;
                }

                if (json)
                {
                    await output.WriteLineAsync(ChangeLine.JsonLine(evt.StreamSequence, evt.Subject, change)).ConfigureAwait(false);
                }
                else
                {
                    Terminal.MarkupLine(ChangeLine.Human(evt.StreamSequence, change));
                }

                return true;
            case CdcOutboxMessage outbox:
                if (!filter.Matches(outbox))
                {
                    return false;
                }

                if (json)
                {
                    await output.WriteLineAsync(OutboxLine.Json(outbox)).ConfigureAwait(false);
                }
                else
                {
                    Terminal.MarkupLine(OutboxLine.Human(outbox));
                }

                return true;
            case CdcUndecodableEvent bad:
                await Console.Error.WriteLineAsync("cdc tail: " + bad.Error.Message).ConfigureAwait(false);
                return false;
            default:
                return false;
        }
    }

    private static async Task ReportGapAsync(TextWriter output, ulong first, ulong last, bool json)
    {
        const string Reason = "deleted or expired";
        if (json)
        {
            var gap = new TailGap(new TailGapRange(first, last, last - first + 1, Reason));
            await output.WriteLineAsync(JsonSerializer.Serialize(gap, TailJsonContext.Default.TailGap)).ConfigureAwait(false);
        }
        else
        {
            var range = first == last ? $"sequence {first} is" : $"sequences {first}-{last} are";
            Terminal.MarkupLine($"[red bold]gap:[/] [red]{range} missing ({Reason})[/]");
        }
    }

    private static string Describe(TailStart start, ulong expected) => start switch
    {
        TailStart.FromStart => "from the start",
        TailStart.FromSequence s => $"from sequence {s.Sequence}",
        TailStart.Since s => $"since {s.Time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}",
        _ => $"from sequence {expected} (new messages)",
    };

    private static int Fail(string message)
    {
        Console.Error.WriteLine("cdc tail: " + message);
        return ExitCodes.BadConfiguration;
    }
}
