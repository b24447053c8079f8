using System.Text.Json;
using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.IntegrationTests;

/// <summary>Cdc:Nats:OversizePolicy reference: a change too big for NATS is published without its payload, saying which row it was.</summary>
public sealed class OversizeReferenceTests
{
    [Fact]
    public async Task A_change_over_max_payload_is_published_as_a_reference_carrying_its_table_operation_and_key()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync("max_payload: 4096");
        await pg.CreateDatabaseAsync("big");
        await pg.ExecuteAsync("CREATE TABLE docs (id int, part text, body text, PRIMARY KEY (id, part));", "big");
        await using var cdc = CdcProcess.Start(
        [
            "run", "--connection", pg.ConnectionString("big"), "--nats", nats.Url, "--slot", "big", "--publication", "big_pub",
            "--stream", "BIG", "--snapshot", "never", "--http", "off",
        ], new Dictionary<string, string> { ["Cdc__Nats__OversizePolicy"] = "reference" });
        await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));

        await pg.ExecuteAsync("INSERT INTO docs VALUES (7, 'a\"b', repeat('x', 20000)); INSERT INTO docs VALUES (8, 'small', 'y');", "big");
        await SlotPosition.WaitForConfirmedAsync(pg, "big", await SlotPosition.CurrentWalLsnAsync(pg, "big"), TimeSpan.FromSeconds(30), "big", () => cdc.Output);

        await using var connection = new NatsConnection(NatsOpts.Default with { Url = nats.Url, Name = "test-oversize-reader" });
        var js = new NatsJSContext(connection);
        var consumer = await js.CreateOrderedConsumerAsync("BIG", new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All });
        var messages = new List<INatsJSMsg<byte[]>>();
        await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 100, Expires = TimeSpan.FromSeconds(2) }))
        {
            if (!msg.Subject.EndsWith("._schema", StringComparison.Ordinal))
            {
                messages.Add(msg);
            }
        }

        Assert.Equal(2, messages.Count);
        var reference = messages[0];
        Assert.Empty(reference.Data ?? []);
        Assert.Equal("max_payload", reference.Headers!["Cdc-Payload-Omitted"].ToString());
        Assert.Equal("public.docs", reference.Headers["Cdc-Table"].ToString());
        Assert.Equal("Insert", reference.Headers["Cdc-Operation"].ToString());
        using var key = JsonDocument.Parse(reference.Headers["Cdc-Key"].ToString());
        Assert.Equal("7", key.RootElement.GetProperty("id").GetProperty("int").GetString());
        Assert.Equal("a\"b", key.RootElement.GetProperty("part").GetProperty("text").GetString());
        Assert.NotEmpty(messages[1].Data ?? []); // the next change is whole
    }
}
