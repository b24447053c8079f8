using System.Text.Json;
using Cdc.IntegrationTests.Faults;
using Cdc.Testing;
using Cdc.V1;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Outbox;

/// <summary>
/// Refusals NATS reports without a PubAck: a publish the server drops for a permissions violation (-ERR on the
/// connection) is retried for <c>Cdc:Nats:RefusalRetryTime</c>, then recorded like any refusal, and the relay goes on.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class OutboxRefusalTests(ITestOutputHelper output)
{
    // cdc connects as "cdc", which may not publish below _outbox.secret; the tests' own clients connect without
    // credentials as "reader", which may do anything.
    private const string DeniedSubjectConfig = """
        authorization {
          users = [
            { user: cdc, password: cdcpw, permissions: { publish: { deny: ["cdc.outbox_denied._outbox.secret", "cdc.outbox_denied._outbox.secret.>"] } } }
            { user: reader, password: readerpw }
          ]
        }
        no_auth_user: reader
        """;

    [Fact]
    public async Task A_publish_NATS_denies_without_a_reply_is_recorded_in_its_egress_row_and_the_relay_goes_on()
    {
        await using var env = await OutboxEnvironment.StartAsync("outbox_denied", natsConfig: DeniedSubjectConfig);
        var http = $"127.0.0.1:{FreePort.Next()}";
        await using var cdc = env.StartCdc(
            "--nats-user", "cdc", "--nats-password", "cdcpw", "--set", "Cdc:Nats:RefusalRetryTime=00:00:02", "--set", "Cdc:Outbox:DeleteRelayed=true",
            "--set", $"Cdc:Http:Listen={http}");
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            var batch = new OutboxBatch
            {
                Messages =
                {
                    new OutboxMessage { Subject = "payments.settled", Payload = ByteString.CopyFromUtf8("before") },
                    new OutboxMessage { Subject = "secret.keys", Payload = ByteString.CopyFromUtf8("denied") },
                    new OutboxMessage { Subject = "payments.settled", Payload = ByteString.CopyFromUtf8("beside") },
                },
            };
            await env.ExecuteAsync("INSERT INTO egress (batch_id, message_count, raw_data) VALUES (1, 3, @raw)", ("raw", batch.ToByteArray()));
            var after = new OutboxBatch { Messages = { new OutboxMessage { Subject = "payments.refunded", Payload = ByteString.CopyFromUtf8("after") } } };
            await env.ExecuteAsync("INSERT INTO egress (batch_id, message_count, raw_data) VALUES (2, 1, @raw)", ("raw", after.ToByteArray()));
            await env.ExecuteAsync("INSERT INTO orders VALUES (1, 'a row change behind the refusal')");

            // Held for the retry time (2 s), not forever: the slot confirms everything, the denied message included.
            await env.WaitForSlotAsync(TimeSpan.FromSeconds(60), () => cdc.Output);
            await OutboxEnvironment.WaitUntilAsync(
                async () => await env.Postgres.ScalarAsync<int>("SELECT write_retries FROM egress WHERE batch_id = 1", env.Name) == 1,
                TimeSpan.FromSeconds(30), "the denial recorded in the row", () => cdc.Output);
            var error = await env.Postgres.ScalarAsync<string>("SELECT last_write_error FROM egress WHERE batch_id = 1", env.Name);
            Assert.Contains("outbox:public.egress:1:1", error, StringComparison.Ordinal);
            Assert.Contains("Permissions Violation for Publish", error, StringComparison.Ordinal);

            // The relayed row is cleaned up; the refused one stays for the operator.
            await OutboxEnvironment.WaitUntilAsync(
                async () => await env.Postgres.ScalarAsync<long>("SELECT count(*) FROM egress", env.Name) == 1,
                TimeSpan.FromSeconds(30), "row 2 deleted", () => cdc.Output);

            // Visible where an operator looks: /status and /metrics.
            using var client = new HttpClient();
            var status = JsonDocument.Parse(await client.GetStringAsync($"http://{http}/status")).RootElement.GetProperty("outbox");
            Assert.Equal(1, status.GetProperty("refused").GetInt64());
            Assert.Equal(3, status.GetProperty("relayed").GetInt64());
            Assert.Contains("Permissions Violation for Publish", status.GetProperty("last_refusal").GetString(), StringComparison.Ordinal);
            var metrics = await client.GetStringAsync($"http://{http}/metrics");
            Assert.Contains(metrics.Split('\n'), l => l.StartsWith("cdc_outbox_refused_total", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" 1", StringComparison.Ordinal));

            // Redrive (docs/outbox.md): the row inserted again relays it again; still denied, so recorded a second time, and
            // the messages of it that were stored are dropped as duplicates by their ids.
            await env.ExecuteAsync("WITH d AS (DELETE FROM egress WHERE batch_id = 1 RETURNING *) INSERT INTO egress SELECT * FROM d");
            await OutboxEnvironment.WaitUntilAsync(
                async () => await env.Postgres.ScalarAsync<int>("SELECT write_retries FROM egress WHERE batch_id = 1", env.Name) == 2,
                TimeSpan.FromSeconds(30), "the redriven row's denial recorded", () => cdc.Output);

            var messages = await env.ReadStreamAsync();
            var relayed = messages.Where(m => m.Header("Cdc-Outbox-Table") == "public.egress").ToList();
            Assert.Equal(["before", "beside", "after"], relayed.Select(m => m.Text));
            Assert.Contains(messages, m => m.Subject == "cdc.outbox_denied.public.orders");
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
