using Cdc.IntegrationTests.Faults;
using Cdc.V1;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Outbox;

/// <summary>
/// Rows a crash left between the PubAck and the clean-up DELETE: the state is built by relaying with the clean-up off,
/// killing cdc, and starting it again with <c>Cdc:Outbox:DeleteRelayed</c> on. The slot is past those rows, so only the
/// start-up clean-up (the stream's message ids) can delete them.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class OutboxLeftoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task On_start_rows_whose_messages_the_stream_holds_are_deleted_and_refused_rows_stay()
    {
        await using var env = await OutboxEnvironment.StartAsync("outbox_leftovers", natsConfig: "max_payload: 65536");
        var cdc = env.StartCdc();
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            for (var i = 0; i < 3; i++)
            {
                await env.ExecuteAsync("INSERT INTO outbox VALUES (gen_random_uuid(), 'order', @i, 'OrderCreated', '{}', NULL)", ("i", i.ToString()));
            }

            var relayed = new OutboxBatch { Messages = { Message("one"), Message("two") } };
            await env.ExecuteAsync("INSERT INTO egress (batch_id, message_count, raw_data) VALUES (1, 2, @raw)", ("raw", relayed.ToByteArray()));
            var refused = new OutboxBatch { Messages = { Message("three"), new OutboxMessage { Subject = "big", Payload = ByteString.CopyFrom(new byte[200_000]) } } };
            await env.ExecuteAsync("INSERT INTO egress (batch_id, message_count, raw_data) VALUES (2, 2, @raw)", ("raw", refused.ToByteArray()));
            await env.WaitForSlotAsync(TimeSpan.FromSeconds(60), () => cdc.Output);
            await OutboxEnvironment.WaitUntilAsync(
                async () => await env.Postgres.ScalarAsync<int>("SELECT write_retries FROM egress WHERE batch_id = 2", env.Name) == 1,
                TimeSpan.FromSeconds(30), "the refusal recorded", () => cdc.Output);
            await cdc.KillAsync();
            Assert.Equal(3, await env.Postgres.ScalarAsync<long>("SELECT count(*) FROM outbox", env.Name));
            Assert.Equal(2, await env.Postgres.ScalarAsync<long>("SELECT count(*) FROM egress", env.Name));
            await cdc.DisposeAsync();

            cdc = env.StartCdc("--set", "Cdc:Outbox:DeleteRelayed=true");
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            Assert.Equal(0, await env.Postgres.ScalarAsync<long>("SELECT count(*) FROM outbox", env.Name));
            Assert.Equal("2", await env.Postgres.ScalarAsync<string>("SELECT string_agg(batch_id::text, ',') FROM egress", env.Name));
            Assert.Contains("deleted 4 rows whose messages the stream holds", cdc.Output, StringComparison.Ordinal);

            // Nothing was published again: the slot was past those rows.
            Assert.Equal(6, (await env.ReadStreamAsync()).Count(m => m.Header("Cdc-Outbox-Table") is not null));
        }
        catch
        {
            output.WriteLine(cdc.Output);
            throw;
        }
        finally
        {
            await cdc.DisposeAsync();
        }
    }

    private static OutboxMessage Message(string text) => new() { Subject = "payments", Payload = ByteString.CopyFromUtf8(text) };
}
