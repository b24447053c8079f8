using System.Globalization;
using System.Text;
using System.Text.Json;
using Cdc.Sink.Connection;
using Cdc.Sink.JetStream;
using Cdc.Sink.Tests.Support;
using Cdc.Testing;

namespace Cdc.Sink.Tests.Interop;

public sealed class JavaScriptClientInteropTests
{
    [NodeFact]
    public async Task The_official_javascript_client_reads_every_message_and_header_we_wrote()
    {
        var dir = await Node.EnsureInstalledAsync();
        await using var server = await NatsServer.StartAsync();
        var acks = new RecordingAckHandler();
        await using var writer = new StreamingBatchWriter(
            new NatsOptions { Urls = [server.Url] },
            new JetStreamStreamOptions { Name = "INTEROP", Subjects = ["cdc.>"] },
            new BatchWriterOptions(),
            acks);
        await writer.StartAsync();
        const int total = 500;
        var written = new List<OutboundMessage>();
        for (var i = 0; i < total; i++)
        {
            var message = new OutboundMessage
            {
                Kind = i == 0 ? MessageKind.MigrateTable : MessageKind.WriteTable,
                Table = "public.orders",
                Subject = i == 0 ? "cdc.shop.public.orders._schema" : $"cdc.shop.public.orders.{(i % 3 == 0 ? "delete" : "insert")}",
                MessageId = $"slot:{i:X16}:0",
                Payload = i % 50 == 7 ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes($"{{\"id\":{i},\"note\":\"ünïcødé {i}\"}}"),
                Headers =
                [
                    new("Cdc-Table", "public.orders"),
                    new("Cdc-Lsn", $"0/{i:X8}"),
                    new("Cdc-Commit-Time", "2024-01-02T03:04:05.123456Z"),
                ],
            };
            written.Add(message);
            await writer.WriteAsync(message);
        }

        await writer.DrainAsync();
        Assert.Equal(total, acks.Acked.Count);

        var output = await ProcessRunner.RunAsync(Node.Find("node")!, [Path.Combine(dir, "consume.mjs"), server.Url, "INTEROP", total.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(2));
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).ToList();

        Assert.Equal(total, lines.Count);
        for (var i = 0; i < total; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            var root = json.RootElement;
            var headers = root.GetProperty("headers");
            Assert.Equal(written[i].Subject, root.GetProperty("subject").GetString());
            Assert.Equal((ulong)(i + 1), root.GetProperty("seq").GetUInt64());
            Assert.Equal(written[i].Payload.ToArray(), Convert.FromBase64String(root.GetProperty("data").GetString()!));
            Assert.Equal(written[i].MessageId, headers.GetProperty("Nats-Msg-Id")[0].GetString());
            foreach (var (name, value) in written[i].Headers!)
            {
                Assert.Equal(value, headers.GetProperty(name)[0].GetString());
            }
        }
    }
}
