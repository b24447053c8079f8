using System.Text;
using Cdc.Sink.JetStream;
using Cdc.Sink.Nats;
using Cdc.Testing;

namespace Cdc.Sink.Tests.JetStream;

public sealed class JetStreamContextTests
{
    private static async Task<(NatsServer Server, NatsConnection Nats, JetStreamContext Js)> StartAsync()
    {
        var server = await NatsServer.StartAsync();
        var nats = new NatsConnection(new NatsOptions { Urls = [server.Url] });
        await nats.ConnectAsync();
        return (server, nats, new JetStreamContext(nats));
    }

    [Fact]
    public async Task EnsureStream_creates_then_accepts_the_same_config_then_reports_a_mismatch_in_validate_mode()
    {
        var (server, nats, js) = await StartAsync();
        await using var _ = server;
        await using var __ = nats;
        var options = new JetStreamStreamOptions { Name = "ORDERS", Subjects = ["orders.>"], DuplicateWindow = TimeSpan.FromMinutes(1), MaxAge = TimeSpan.FromHours(1) };

        var created = await js.EnsureStreamAsync(options);
        var again = await js.EnsureStreamAsync(options);
        var error = await Assert.ThrowsAsync<JetStreamException>(() =>
            js.EnsureStreamAsync(options with { MaxAge = TimeSpan.FromHours(2), Mode = StreamSetupMode.CreateOrValidate }));
        var updated = await js.EnsureStreamAsync(options with { MaxAge = TimeSpan.FromHours(2) });

        Assert.Equal("file", created.Config!.Storage);
        Assert.Equal(60_000_000_000, again.Config!.DuplicateWindow);
        Assert.Contains("max_age", error.Message, StringComparison.Ordinal);
        Assert.Equal(7_200_000_000_000, updated.Config!.MaxAge);
    }

    [Fact]
    public async Task Publish_with_the_same_message_id_is_stored_once_and_acked_as_duplicate()
    {
        var (server, nats, js) = await StartAsync();
        await using var _ = server;
        await using var __ = nats;
        await js.EnsureStreamAsync(new JetStreamStreamOptions { Name = "DUP", Subjects = ["dup.>"] });

        var first = await js.PublishAsync("dup.a", "one"u8.ToArray(), "id-1");
        var second = await js.PublishAsync("dup.a", "one again"u8.ToArray(), "id-1");
        var third = await js.PublishAsync("dup.a", "two"u8.ToArray(), "id-2");
        var info = await js.GetStreamAsync("DUP");

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.Sequence, second.Sequence);
        Assert.Equal(2UL, third.Sequence);
        Assert.Equal(2UL, info!.State!.Messages);
    }

    [Fact]
    public async Task Publish_to_a_subject_without_stream_throws_no_stream()
    {
        var (server, nats, js) = await StartAsync();
        await using var _ = server;
        await using var __ = nats;

        var error = await Assert.ThrowsAsync<JetStreamNoStreamException>(() => js.PublishAsync("nowhere.x", "x"u8.ToArray()));
        Assert.Contains("nowhere.x", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_rejected_by_a_stream_limit_throws_with_the_jetstream_codes()
    {
        var (server, nats, js) = await StartAsync();
        await using var _ = server;
        await using var __ = nats;
        await js.EnsureStreamAsync(new JetStreamStreamOptions { Name = "SMALL", Subjects = ["small.>"], MaxMessageSize = 10 });

        var error = await Assert.ThrowsAsync<JetStreamException>(() => js.PublishAsync("small.a", new byte[100]));

        Assert.Equal(400, error.Code);
        Assert.Equal(10054, error.ErrCode);
    }

    [Fact]
    public async Task Pull_consumer_fetches_messages_with_headers_and_ack_metadata()
    {
        var (server, nats, js) = await StartAsync();
        await using var _ = server;
        await using var __ = nats;
        await js.EnsureStreamAsync(new JetStreamStreamOptions { Name = "PULL", Subjects = ["pull.>"] });
        for (var i = 1; i <= 5; i++)
        {
            await js.PublishAsync($"pull.{i}", Encoding.UTF8.GetBytes($"m{i}"), $"id-{i}", [new("X-N", i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        }

        await js.CreateConsumerAsync("PULL", new ConsumerConfig { DurableName = "reader" });
        var first = await js.FetchAsync("PULL", "reader", 3, TimeSpan.FromSeconds(2));
        foreach (var m in first)
        {
            await m.AckAsync(confirm: true);
        }

        var rest = await js.FetchAsync("PULL", "reader", 10, TimeSpan.FromMilliseconds(500));

        Assert.Equal(["m1", "m2", "m3"], first.Select(m => Encoding.UTF8.GetString(m.Data.Span)));
        Assert.Equal("id-2", first[1].Headers?["Nats-Msg-Id"]);
        Assert.Equal("2", first[1].Headers?["X-N"]);
        Assert.Equal(2UL, first[1].Metadata.StreamSequence);
        Assert.Equal("PULL", first[1].Metadata.Stream);
        Assert.Equal("reader", first[1].Metadata.Consumer);
        Assert.Equal(3UL, first[1].Metadata.NumPending);
        Assert.True(DateTimeOffset.UtcNow - first[0].Metadata.Timestamp < TimeSpan.FromMinutes(1));
        Assert.Equal([4UL, 5UL], rest.Select(m => m.Metadata.StreamSequence));
    }
}
