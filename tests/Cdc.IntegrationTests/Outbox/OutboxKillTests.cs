using System.Diagnostics;
using System.Text.Json;
using Cdc.IntegrationTests.Faults;
using Cdc.V1;
using Google.Protobuf;
using Npgsql;
using Xunit.Abstractions;

namespace Cdc.IntegrationTests.Outbox;

/// <summary>
/// The outbox relay under SIGKILLs (issue 15): two writers insert Debezium and egress rows for their own aggregates
/// while cdc is killed again and again; at the end the stream holds every committed row's message exactly once, and each
/// aggregate's messages in the order they were committed.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class OutboxKillTests(ITestOutputHelper output)
{
    private const int Kills = 8;
    private const int Writers = 2;
    private const int AggregatesPerWriter = 8;

    [Fact]
    public async Task Under_SIGKILLs_every_outbox_message_arrives_once_and_in_order_per_aggregate()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CDC_FAULT_SEED"), out var s) ? s : 1515;
        output.WriteLine($"CDC_FAULT_SEED={seed}");
        var random = new Random(seed);
        await using var env = await OutboxEnvironment.StartAsync("outbox_kills");
        var cdc = env.StartCdc("--max-in-flight-bytes", "2097152", "--set", "Cdc:Outbox:DeleteRelayed=true");
        var outputs = new List<string>();
        try
        {
            await cdc.WaitForOutputAsync("Replicating slot", TimeSpan.FromSeconds(60));
            using var stop = new CancellationTokenSource();
            var committed = new long[Writers];
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(env.Connection, w, seed + w, committed, stop.Token))).ToArray();
            var clock = Stopwatch.StartNew();
            for (var kill = 0; kill < Kills; kill++)
            {
                await Task.Delay(random.Next(1_500, 4_000));
                Assert.DoesNotContain(writers, t => t.IsFaulted);
                Assert.False(cdc.HasExited, $"cdc exited by itself:\n{cdc.Output}");
                output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s kill {kill + 1}: {committed.Sum()} messages committed");
                await cdc.KillAsync();
                outputs.Add(cdc.Output);
                await cdc.DisposeAsync();
                await Task.Delay(random.Next(0, 800));
                cdc = env.StartCdc("--max-in-flight-bytes", "2097152", "--set", "Cdc:Outbox:DeleteRelayed=true");
            }

            await Task.Delay(2_000);
            await stop.CancelAsync();
            var perAggregate = (await Task.WhenAll(writers)).SelectMany(d => d).ToDictionary(p => p.Key, p => p.Value);
            var total = perAggregate.Values.Sum();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s writers done: {total} messages in {perAggregate.Count} aggregates");

            await env.WaitForSlotAsync(TimeSpan.FromMinutes(3), () => cdc.Output);
            Assert.False(cdc.HasExited, cdc.Output);
            var relayed = (await env.ReadStreamAsync()).Where(m => m.Header("Cdc-Outbox-Table") is not null).ToList();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s read {relayed.Count} outbox messages back");

            Assert.Equal(relayed.Count, relayed.Select(m => m.Header("Nats-Msg-Id")).Distinct().Count());
            Assert.Equal(total, relayed.Count);
            var seen = new Dictionary<string, long>();
            foreach (var message in relayed)
            {
                using var payload = JsonDocument.Parse(message.Data);
                var aggregate = payload.RootElement.GetProperty("agg").GetString()!;
                var sequence = payload.RootElement.GetProperty("seq").GetInt64();
                var previous = seen.GetValueOrDefault(aggregate);
                Assert.True(sequence == previous + 1, $"{aggregate}: message {sequence} after {previous} (stream sequence {message.Sequence})");
                seen[aggregate] = sequence;
            }

            Assert.Equal(perAggregate.OrderBy(p => p.Key), seen.OrderBy(p => p.Key));
            Assert.Equal(Kills, outputs.Count);
        }
        catch
        {
            output.WriteLine("last cdc output:\n" + cdc.Output[Math.Max(0, cdc.Output.Length - 20_000)..]);
            throw;
        }
        finally
        {
            await cdc.DisposeAsync();
        }
    }

    /// <summary>
    /// Transactions of 1-4 Debezium rows and now and then an egress batch of 1-3 messages, for this writer's own
    /// aggregates, each message numbered per aggregate. Returns the last number of each aggregate once stopped.
    /// </summary>
    private static async Task<Dictionary<string, long>> WriteAsync(string connectionString, int writer, int seed, long[] committed, CancellationToken stop)
    {
        var random = new Random(seed);
        var next = new Dictionary<string, long>();
        var batchId = writer * 1_000_000_000L;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        while (!stop.IsCancellationRequested)
        {
            var pending = new Dictionary<string, long>(next);
            await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
            var messages = 0;
            for (var row = random.Next(1, 5); row > 0; row--)
            {
                var aggregate = $"w{writer}-a{random.Next(AggregatesPerWriter)}";
                var sequence = pending[aggregate] = pending.GetValueOrDefault(aggregate) + 1;
                await using var insert = new NpgsqlCommand("INSERT INTO outbox VALUES (@id, 'account', @agg, 'Posted', @payload::jsonb, NULL)", connection, transaction);
                insert.Parameters.AddWithValue("id", Guid.NewGuid());
                insert.Parameters.AddWithValue("agg", aggregate);
                insert.Parameters.AddWithValue("payload", $$"""{"agg":"{{aggregate}}","seq":{{sequence}}}""");
                await insert.ExecuteNonQueryAsync(CancellationToken.None);
                messages++;
            }

            if (random.Next(4) == 0)
            {
                var batch = new OutboxBatch();
                for (var m = random.Next(1, 4); m > 0; m--)
                {
                    var aggregate = $"w{writer}-a{random.Next(AggregatesPerWriter)}";
                    var sequence = pending[aggregate] = pending.GetValueOrDefault(aggregate) + 1;
                    batch.Messages.Add(new OutboxMessage
                    {
                        Subject = "account.posted",
                        Key = aggregate,
                        Payload = ByteString.CopyFromUtf8($$"""{"agg":"{{aggregate}}","seq":{{sequence}}}"""),
                    });
                }

                await using var insert = new NpgsqlCommand("INSERT INTO egress (batch_id, message_count, raw_data) VALUES (@id, @count, @raw)", connection, transaction);
                insert.Parameters.AddWithValue("id", ++batchId);
                insert.Parameters.AddWithValue("count", batch.Messages.Count);
                insert.Parameters.AddWithValue("raw", batch.ToByteArray());
                await insert.ExecuteNonQueryAsync(CancellationToken.None);
                messages += batch.Messages.Count;
            }

            await transaction.CommitAsync(CancellationToken.None);
            next = pending;
            Interlocked.Add(ref committed[writer], messages);
            await Task.Delay(random.Next(0, 6), CancellationToken.None);
        }

        return next;
    }
}
