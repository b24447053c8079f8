using System.Text;
using Cdc.Sink.Nats;
using Cdc.Testing;

namespace Cdc.Sink.Tests.Nats;

public sealed class NatsConnectionTests
{
    [Fact]
    public async Task Published_messages_with_headers_reach_a_subscriber_in_order()
    {
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(new NatsOptions { Urls = [server.Url] });
        await nats.ConnectAsync();
        await using var sub = await nats.SubscribeAsync("t.>");

        for (var i = 0; i < 1000; i++)
        {
            await nats.PublishAsync($"t.{i % 3}", Encoding.UTF8.GetBytes($"m{i}"), [new("X-Index", i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        }

        for (var i = 0; i < 1000; i++)
        {
            var msg = await sub.NextAsync(TimeSpan.FromSeconds(5));
            Assert.NotNull(msg);
            Assert.Equal($"t.{i % 3}", msg.Subject);
            Assert.Equal($"m{i}", Encoding.UTF8.GetString(msg.Data.Span));
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), msg.Headers?["x-index"]);
        }
    }

    [Fact]
    public async Task Request_without_responder_throws_no_responders()
    {
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(new NatsOptions { Urls = [server.Url] });
        await nats.ConnectAsync();

        await Assert.ThrowsAsync<NatsNoRespondersException>(() => nats.RequestAsync("nobody.home", "x"u8.ToArray()));
    }

    [Fact]
    public async Task Request_gets_the_reply_of_a_responder()
    {
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(new NatsOptions { Urls = [server.Url] });
        await nats.ConnectAsync();
        await using var service = await nats.SubscribeAsync("echo");
        var responder = Task.Run(async () =>
        {
            var req = await service.NextAsync(TimeSpan.FromSeconds(5));
            await nats.PublishAsync(req!.ReplyTo!, Encoding.UTF8.GetBytes("re:" + Encoding.UTF8.GetString(req.Data.Span)));
        });

        var reply = await nats.RequestAsync("echo", "hi"u8.ToArray());
        await responder;

        Assert.Equal("re:hi", Encoding.UTF8.GetString(reply.Data.Span));
    }
}
