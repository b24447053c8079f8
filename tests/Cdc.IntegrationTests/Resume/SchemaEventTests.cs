using Cdc.IntegrationTests.Support;
using Cdc.Testing;
using Cdc.V1;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Cdc.IntegrationTests.Resume;

/// <summary>A table's schema event is in the stream once per shape: restarts add nothing, a shape change adds one.</summary>
public sealed class SchemaEventTests
{
    [Fact]
    public async Task A_restart_adds_no_schema_event_and_a_changed_table_adds_one()
    {
        await using var pg = await PostgresServer.StartAsync();
        await using var nats = await NatsServer.StartAsync();
        await pg.CreateDatabaseAsync("shapes");
        await pg.ExecuteAsync("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, note text);", "shapes");
        string[] arguments =
        [
            "run", "--connection", pg.ConnectionString("shapes"), "--nats", nats.Url, "--slot", "shapes", "--publication", "shapes_pub",
            "--stream", "SHAPES", "--snapshot", "never", "--shutdown-timeout", "00:00:05", "--http", "off",
        ];
        // JSON: the stream's schema events are read back through the format they were written in.
        var environment = new Dictionary<string, string> { ["Cdc__Format"] = "json" };

        for (var run = 0; run < 3; run++)
        {
            await using var cdc = CdcProcess.Start(arguments, environment);
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            await pg.ExecuteAsync($"INSERT INTO a VALUES ({run}); INSERT INTO b VALUES ({run}, 'x');", "shapes");
            await SlotPosition.WaitForConfirmedAsync(pg, "shapes", await SlotPosition.CurrentWalLsnAsync(pg, "shapes"), TimeSpan.FromSeconds(30), "shapes", () => cdc.Output);
            cdc.Terminate();
            Assert.True(await cdc.WaitForExitAsync(TimeSpan.FromSeconds(30)), cdc.Output);
        }

        var schemas = await ReadSchemaEventsAsync(nats.Url);
        Assert.Equal(["a", "b"], schemas.Select(s => s.Table).Order());

        // A new column is a new shape: published once, before the row that has it, and only then.
        await pg.ExecuteAsync("ALTER TABLE b ADD COLUMN extra int;", "shapes");
        await using (var cdc = CdcProcess.Start(arguments, environment))
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            await pg.ExecuteAsync("INSERT INTO a VALUES (10); INSERT INTO b VALUES (10, 'y', 1);", "shapes");
            await SlotPosition.WaitForConfirmedAsync(pg, "shapes", await SlotPosition.CurrentWalLsnAsync(pg, "shapes"), TimeSpan.FromSeconds(30), "shapes", () => cdc.Output);
        }

        schemas = await ReadSchemaEventsAsync(nats.Url);
        Assert.True(schemas.Count == 3, string.Join("\n", schemas));
        Assert.Equal(["a", "b", "b"], schemas.Select(s => s.Table).Order());
        Assert.Equal(["id", "note", "extra"], schemas[^1].Columns.Select(c => c.Name));
    }

    private static async Task<List<RelationEvent>> ReadSchemaEventsAsync(string url)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Url = url, Name = "test-schema-reader" });
        var js = new NatsJSContext(connection);
        var consumer = await js.CreateOrderedConsumerAsync("SHAPES", new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All });
        var result = new List<RelationEvent>();
        var pending = 1UL;
        while (pending > 0)
        {
            await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1000, Expires = TimeSpan.FromSeconds(2) }))
            {
                pending = msg.Metadata!.Value.NumPending;
                if (msg.Subject.EndsWith("._schema", StringComparison.Ordinal))
                {
                    result.Add(Google.Protobuf.JsonParser.Default.Parse<RelationEvent>(System.Text.Encoding.UTF8.GetString(msg.Data!)));
                }
            }
        }

        return result;
    }
}
