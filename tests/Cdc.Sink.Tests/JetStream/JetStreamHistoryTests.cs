using System.Diagnostics;
using Cdc.Sink.JetStream;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit.Abstractions;

namespace Cdc.Sink.Tests.JetStream;

/// <summary>
/// The read-back before a republish and at start (<see cref="JetStreamHistory.FindNewestAsync(Func{string, bool}, int, CancellationToken)"/>):
/// the newest message whose id matches within the newest <c>maxScan</c> messages, found with a bounded number of
/// JetStream API requests however far back it lies (counted on the server's API subjects).
/// </summary>
public sealed class JetStreamHistoryTests(ITestOutputHelper output)
{
    private const string Name = "HISTORY";
    private const int Scan = 1_000;

    [Fact]
    public async Task The_newest_match_far_back_in_the_bound_is_found_with_a_few_requests_and_carries_its_headers_and_payload()
    {
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(nats);
        await js.CreateStreamAsync(new StreamConfig(Name, ["h.>"]) { DuplicateWindow = TimeSpan.FromMilliseconds(100) });

        // Sequences 1..3 hold pending:0, pending:1 and, once the duplicate window has passed, pending:1 again; then 990
        // messages of another id space: the newest match lies 991 messages back.
        await PublishAsync(js, "pending:0", "pending:1");
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await PublishAsync(js, "pending:1");
        await PublishAsync(js, [.. Enumerable.Range(0, 990).Select(i => $"other:{i}")]);

        var (found, requests, elapsed) = await MeasureAsync(nats, history => history.FindNewestAsync(id => id.StartsWith("pending:", StringComparison.Ordinal), Scan));

        output.WriteLine($"found 991 back: {requests} API requests, {elapsed.TotalMilliseconds:F1} ms");
        Assert.NotNull(found);
        Assert.Equal(3UL, found.Sequence);
        Assert.Equal("pending:1", found.MessageId);
        Assert.Equal("h.pending:1", found.Subject);
        Assert.Equal("payload of pending:1", System.Text.Encoding.UTF8.GetString(found.Payload.Span));
        Assert.Equal("pending:1", JetStreamHistory.HeaderOf(found.Headers, "Nats-Msg-Id"));
        Assert.True(requests <= 8, $"{requests} JetStream API requests for one read-back (one GET per message scanned?)");
    }

    [Fact]
    public async Task Nothing_is_found_past_the_bound_and_the_walk_stops_at_the_message_before_the_window()
    {
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(nats);
        await js.CreateStreamAsync(new StreamConfig(Name, ["h.>"]));
        await PublishAsync(js, "pending:0");
        await PublishAsync(js, [.. Enumerable.Range(0, Scan).Select(i => $"other:{i}")]);

        var (missed, requests, elapsed) = await MeasureAsync(nats, history => history.FindNewestAsync(id => id.StartsWith("pending:", StringComparison.Ordinal), Scan));
        var (before, _, _) = await MeasureAsync(nats, history => history.FindNewestAsync(id => id == "pending:0", Scan, stopAt: id => id is "other:500" or "other:10", after: 0, CancellationToken.None));
        var (newest, _, _) = await MeasureAsync(nats, history => history.FindNewestAsync(id => id.StartsWith("other:", StringComparison.Ordinal), Scan));

        output.WriteLine($"nothing in {Scan}: {requests} API requests, {elapsed.TotalMilliseconds:F1} ms");
        Assert.Null(missed);
        Assert.True(requests <= 8, $"{requests} JetStream API requests for a read-back that finds nothing in {Scan} messages");
        Assert.Equal("other:500", before?.MessageId); // the newest of the matches and the stops
        Assert.Equal(502UL, before!.Sequence);
        Assert.Equal($"other:{Scan - 1}", newest?.MessageId);
    }

    [Fact]
    public async Task Deleted_messages_and_those_at_or_below_the_lower_bound_are_skipped()
    {
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(nats);
        var stream = await js.CreateStreamAsync(new StreamConfig(Name, ["h.>"]));
        await PublishAsync(js, "pending:0", "pending:1", "other:0");
        await stream.DeleteMessageAsync(new StreamMsgDeleteRequest { Seq = 2, NoErase = true });
        var history = new JetStreamHistory(js, Name);

        var found = await history.FindNewestAsync(id => id.StartsWith("pending:", StringComparison.Ordinal), Scan);
        var notBefore = await history.FindNewestAsync(id => id.StartsWith("pending:", StringComparison.Ordinal), Scan, stopAt: null, after: 1, CancellationToken.None);

        Assert.Equal("pending:0", found?.MessageId);
        Assert.Equal(1UL, found!.Sequence);
        Assert.Null(notBefore); // sequence 1 lies at or below the bound
    }

    /// <summary>
    /// A NATS user without consumer rights on the stream (an install set up before the read-back used a consumer):
    /// nats-server drops the consumer create and answers nothing. The stream's info answered just before, so this is not
    /// a silent JetStream: the read falls back to one GET per message and still finds the match, and the outbox's id read
    /// (filtered by subject) finds every matching id.
    /// </summary>
    [Fact]
    public async Task Without_consumer_rights_the_read_falls_back_to_one_get_per_message_and_still_finds_the_match()
    {
        await using var server = await NatsServer.StartAsync("""
            authorization {
              users = [
                { user: admin, password: admin }
                { user: cdc, password: cdc, permissions: { publish: { allow: [">"], deny: ["$JS.API.CONSUMER.>"] } } }
              ]
            }
            """);
        await using (var admin = new NatsConnection(NatsOpts.Default with { Url = server.Url, AuthOpts = new NatsAuthOpts { Username = "admin", Password = "admin" } }))
        {
            var adminJs = new NatsJSContext(admin);
            await adminJs.CreateStreamAsync(new StreamConfig(Name, ["h.>"]));
            await PublishAsync(adminJs, "pending:0", "pending:1");
            await PublishAsync(adminJs, [.. Enumerable.Range(0, 50).Select(i => $"other:{i}")]);
        }

        await using var nats = new NatsConnection(NatsOpts.Default with
        {
            Url = server.Url,
            AuthOpts = new NatsAuthOpts { Username = "cdc", Password = "cdc" },
            RequestTimeout = TimeSpan.FromSeconds(1),
        });
        var history = new JetStreamHistory(new NatsJSContext(nats), Name);

        var found = await history.FindNewestAsync(id => id.StartsWith("pending:", StringComparison.Ordinal), Scan);
        var ids = await history.ReadMessageIdsAsync("h.>", Scan);

        Assert.Equal("pending:1", found?.MessageId);
        Assert.Equal(2UL, found!.Sequence);
        Assert.Equal(["pending:0", "pending:1", .. Enumerable.Range(0, 50).Select(i => $"other:{i}")], ids);
    }

    private static async Task PublishAsync(NatsJSContext js, params string[] ids)
    {
        foreach (var id in ids)
        {
            var headers = new NatsHeaders { ["Nats-Msg-Id"] = id };
            var ack = await js.PublishAsync($"h.{id}", System.Text.Encoding.UTF8.GetBytes($"payload of {id}"), headers: headers);
            ack.EnsureSuccess();
        }
    }

    /// <summary>Runs a read and counts the JetStream API requests it made (all of them, as the server's subscribers see them).</summary>
    private static async Task<(T Result, int Requests, TimeSpan Elapsed)> MeasureAsync<T>(NatsConnection nats, Func<JetStreamHistory, Task<T>> read)
    {
        await using var watcher = new NatsConnection(nats.Opts with { Name = "watcher" });
        await using var api = await watcher.SubscribeCoreAsync<byte[]>("$JS.API.>");
        await watcher.PingAsync();
        var started = Stopwatch.GetTimestamp();
        var result = await read(new JetStreamHistory(new NatsJSContext(nats), Name));
        var elapsed = Stopwatch.GetElapsedTime(started);
        await nats.PingAsync();
        await watcher.PingAsync();
        var requests = 0;
        while (api.Msgs.TryRead(out _))
        {
            requests++;
        }

        return (result, requests, elapsed);
    }
}
