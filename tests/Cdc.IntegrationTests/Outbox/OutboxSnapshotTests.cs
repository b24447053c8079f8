using Cdc.IntegrationTests.Faults;
using Cdc.V1;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Outbox;

/// <summary>Rows already in outbox tables when cdc creates its slot are relayed by the initial snapshot, as messages.</summary>
[Collection(FaultCollection.Name)]
public sealed class OutboxSnapshotTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Rows_there_before_the_slot_are_relayed_as_outbox_messages_with_their_insert_ids_and_cleaned_up()
    {
        await using var env = await OutboxEnvironment.StartAsync("outbox_snapshot");
        var first = Guid.NewGuid();
        await env.ExecuteAsync("INSERT INTO outbox VALUES (@id, 'order', '1', 'OrderCreated', '{\"order\": 1}', '{\"traceparent\": \"00-abc-01\"}')", ("id", first));
        var batch = new OutboxBatch { Messages = { new OutboxMessage { Subject = "payments", Payload = ByteString.CopyFromUtf8("p0") }, new OutboxMessage { Subject = "payments", Payload = ByteString.CopyFromUtf8("p1") } } };
        await env.ExecuteAsync("INSERT INTO egress (batch_id, message_count, raw_data) VALUES (7, 2, @raw)", ("raw", batch.ToByteArray()));
        await env.ExecuteAsync("INSERT INTO orders VALUES (1, 'before the slot')");

        await using var cdc = env.StartCdc("--snapshot", "initial", "--set", "Cdc:Outbox:DeleteRelayed=true");
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(90));
            var second = Guid.NewGuid();
            await env.ExecuteAsync("INSERT INTO outbox VALUES (@id, 'order', '1', 'OrderPaid', '{\"order\": 1}', NULL)", ("id", second));
            await env.WaitForSlotAsync(TimeSpan.FromSeconds(60), () => cdc.Output);

            // Once seen under load: the slot confirmed past the streamed insert a moment before its message was readable
            // in the stream (see notes/outbox2.md); wait for all four before looking at their order.
            await OutboxEnvironment.WaitUntilAsync(
                async () => (await env.ReadStreamAsync()).Count(m => m.Header("Cdc-Outbox-Table") is not null) >= 4,
                TimeSpan.FromSeconds(30), "four outbox messages in the stream", () => cdc.Output);
            var messages = await env.ReadStreamAsync();
            var relayed = messages.Where(m => m.Header("Cdc-Outbox-Table") is not null).ToList();
            // The snapshot reads the tables in name order, then the streamed insert follows.
            Assert.Equal(
                ["outbox:public.egress:7:0", "outbox:public.egress:7:1", $"outbox:public.outbox:{first}", $"outbox:public.outbox:{second}"],
                relayed.Select(m => m.Header("Nats-Msg-Id")));
            var created = relayed.Single(m => m.Header("Nats-Msg-Id") == $"outbox:public.outbox:{first}");
            Assert.Equal("cdc.outbox_snapshot._outbox.order", created.Subject);
            Assert.Equal("OrderCreated", created.Header("Cdc-Outbox-Type"));
            Assert.Equal("00-abc-01", created.Header("traceparent"));
            Assert.Equal("{\"order\": 1}", created.Text);
            Assert.Equal(["p0", "p1"], relayed.Where(m => m.Header("Cdc-Outbox-Table") == "public.egress").Select(m => m.Text));

            // Not as row reads: the outbox tables publish nothing on their own subjects; the ordinary table does.
            Assert.DoesNotContain(messages, m => m.Subject.StartsWith("cdc.outbox_snapshot.public.outbox", StringComparison.Ordinal) || m.Subject.StartsWith("cdc.outbox_snapshot.public.egress", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.Subject.StartsWith("cdc.outbox_snapshot.public.orders", StringComparison.Ordinal));

            await OutboxEnvironment.WaitUntilAsync(
                async () => await env.Postgres.ScalarAsync<long>("SELECT (SELECT count(*) FROM outbox) + (SELECT count(*) FROM egress)", env.Name) == 0,
                TimeSpan.FromSeconds(30), "relayed rows deleted", () => cdc.Output);
            Assert.False(cdc.HasExited, cdc.Output);
        }
        catch
        {
            output.WriteLine(cdc.Output);
            throw;
        }
    }
}
