using System.Text.Json;
using Cdc.IntegrationTests.Faults;
using Cdc.Testing;
using Cdc.V1;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Outbox;

/// <summary>
/// The outbox relay end to end: rows inserted into a Debezium outbox table and a streams egress table are published as
/// the messages they carry (not as row changes), and a message NATS refuses is recorded without stopping the relay.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class OutboxRelayTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Debezium_rows_are_published_as_their_messages_with_their_headers_and_deleted_once_acknowledged(bool binary)
    {
        // Binary: the uuid, jsonb and varchar values come in their send format (Cdc:Binary), read by the same relay.
        await using var env = await OutboxEnvironment.StartAsync("outbox_debezium");
        await using var cdc = env.StartCdc("--set", "Cdc:Outbox:DeleteRelayed=true", "--set", $"Cdc:Binary={binary}");
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            var first = Guid.NewGuid();
            var second = Guid.NewGuid();
            await env.ExecuteAsync("""
                BEGIN;
                INSERT INTO orders VALUES (1, 'first order');
                INSERT INTO outbox VALUES (@first, 'order', '1', 'OrderCreated', '{"order": 1, "total": 9.5}', '{"traceparent": "00-abc-01", "attempt": 2}');
                INSERT INTO outbox VALUES (@second, 'customer.vip*', '7', 'CustomerPromoted', '{"customer": 7}', NULL);
                COMMIT;
                """, ("first", first), ("second", second));
            await env.WaitForSlotAsync(TimeSpan.FromSeconds(60), () => cdc.Output);

            var messages = await env.ReadStreamAsync();
            Assert.DoesNotContain(messages, m => m.Subject.StartsWith("cdc.outbox_debezium.public.outbox", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.Subject == "cdc.outbox_debezium.public.orders");
            var relayed = messages.Where(m => m.Header("Cdc-Outbox-Table") is not null).ToList();
            Assert.Equal(2, relayed.Count);

            var created = relayed[0];
            Assert.Equal("cdc.outbox_debezium._outbox.order", created.Subject);
            Assert.Equal($"outbox:public.outbox:{first}", created.Header("Nats-Msg-Id"));
            Assert.Equal(9.5, JsonDocument.Parse(created.Data).RootElement.GetProperty("total").GetDouble());
            Assert.Equal("public.outbox", created.Header("Cdc-Outbox-Table"));
            Assert.Equal("OrderCreated", created.Header("Cdc-Outbox-Type"));
            Assert.Equal("1", created.Header("Cdc-Outbox-Aggregate-Id"));
            Assert.Equal("application/json", created.Header("Content-Type"));
            Assert.Equal("00-abc-01", created.Header("traceparent"));
            Assert.Equal("2", created.Header("attempt"));
            Assert.NotNull(created.Header("Cdc-Commit-Lsn"));
            Assert.NotNull(created.Header("Cdc-Xid"));

            // Wildcards are no subject tokens: sanitised, the dots kept as the application's hierarchy.
            Assert.Equal("cdc.outbox_debezium._outbox.customer.vip_", relayed[1].Subject);
            Assert.Equal(created.Header("Cdc-Xid"), relayed[1].Header("Cdc-Xid"));

            await OutboxEnvironment.WaitUntilAsync(async () => await env.Postgres.ScalarAsync<long>("SELECT count(*) FROM outbox", env.Name) == 0, TimeSpan.FromSeconds(30), "relayed rows deleted", () => cdc.Output);
            Assert.False(cdc.HasExited, cdc.Output);

            // cdc tail reads them through the consumer library as outbox messages.
            var (exit, tail) = await CdcProcess.RunAsync(
                ["tail", "--nats", env.Nats.Url, "--stream", env.Stream, "--from-start", "--json", "--exit-when-idle", "3s"], TimeSpan.FromSeconds(60));
            Assert.Equal(0, exit);
            var tailed = tail.Split('\n').Where(l => l.StartsWith("{\"seq\"", StringComparison.Ordinal) && l.Contains("\"outbox\":", StringComparison.Ordinal))
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("outbox")).ToList();
            Assert.Equal(["OrderCreated", "CustomerPromoted"], tailed.Select(o => o.GetProperty("type").GetString()));
            Assert.Equal(first.ToString(), tailed[0].GetProperty("id").GetString());
            Assert.Equal(1, JsonDocument.Parse(tailed[0].GetProperty("payload").GetString()!).RootElement.GetProperty("order").GetInt32());
        }
        catch
        {
            output.WriteLine(cdc.Output);
            throw;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_batch_message_too_large_for_NATS_is_recorded_in_its_egress_row_and_the_relay_goes_on(bool binary)
    {
        await using var env = await OutboxEnvironment.StartAsync("outbox_too_large", natsConfig: "max_payload: 65536");
        await using var cdc = env.StartCdc("--set", $"Cdc:Binary={binary}");
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            var batch = new OutboxBatch
            {
                Messages =
                {
                    new OutboxMessage { Subject = "payments.settled", Key = "p1", Type = "Settled", Payload = ByteString.CopyFromUtf8("small one") },
                    new OutboxMessage { Subject = "payments.settled", Key = "p1", Payload = ByteString.CopyFrom(new byte[200_000]) },
                    new OutboxMessage { Subject = "payments.settled", Key = "p2", Payload = ByteString.CopyFromUtf8("small two"), Headers = { ["x-tenant"] = "acme" } },
                },
            };
            await env.ExecuteAsync("INSERT INTO egress (batch_id, message_count, raw_data) VALUES (1, 3, @raw)", ("raw", batch.ToByteArray()));
            var after = new OutboxBatch { Messages = { new OutboxMessage { Subject = "payments.refunded", Payload = ByteString.CopyFromUtf8("after") } } };
            await env.ExecuteAsync("INSERT INTO egress (batch_id, message_count, raw_data) VALUES (2, 1, @raw)", ("raw", after.ToByteArray()));
            await env.WaitForSlotAsync(TimeSpan.FromSeconds(60), () => cdc.Output);

            await OutboxEnvironment.WaitUntilAsync(
                async () => await env.Postgres.ScalarAsync<int>("SELECT write_retries FROM egress WHERE batch_id = 1", env.Name) == 1,
                TimeSpan.FromSeconds(30), "the refusal recorded in the row", () => cdc.Output);
            var error = await env.Postgres.ScalarAsync<string>("SELECT last_write_error FROM egress WHERE batch_id = 1", env.Name);
            Assert.Contains("outbox:public.egress:1:1", error, StringComparison.Ordinal);
            Assert.Contains("max_payload", error, StringComparison.Ordinal);
            Assert.Equal(0, await env.Postgres.ScalarAsync<int>("SELECT write_retries FROM egress WHERE batch_id = 2", env.Name));

            var relayed = (await env.ReadStreamAsync()).Where(m => m.Header("Cdc-Outbox-Table") == "public.egress").ToList();
            Assert.Equal(["small one", "small two", "after"], relayed.Select(m => m.Text));
            Assert.Equal(["outbox:public.egress:1:0", "outbox:public.egress:1:2", "outbox:public.egress:2:0"], relayed.Select(m => m.Header("Nats-Msg-Id")));
            Assert.Equal("cdc.outbox_too_large._outbox.payments.settled", relayed[0].Subject);
            Assert.Equal("acme", relayed[1].Header("x-tenant"));
            Assert.Equal("p2", relayed[1].Header("Cdc-Outbox-Aggregate-Id"));
            Assert.Equal("Settled", relayed[0].Header("Cdc-Outbox-Type"));
            Assert.False(cdc.HasExited, cdc.Output);
            Assert.Contains("was not relayed", cdc.Output, StringComparison.Ordinal);
        }
        catch
        {
            output.WriteLine(cdc.Output);
            throw;
        }
    }
}
